// The bench's own world: a local stack on free ports in a temporary data dir, a client, and the
// project's worker in this process on a task queue of its own.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createAzureClients } from '../src/azure-clients';
import { loadConfig, type AppConfig } from '../src/config';
import { installLogging } from '../src/logging';
import { startTestStack, type LocalStack } from '../src/stack/stack';
import { createWorker } from '../src/worker';
import type { ActivityClients } from '../src/activities';
import { CpuMeter } from './cpu';
import { dataConverter } from '../src/payload-codec';

/**
 * Emulator timings for every section: allocation and boot are fixed sleeps in the emulator
 * (minutes on Azure), so they are kept short to leave the orchestration itself to measure.
 */
export const EMULATOR_ENV = {
  BATCH_EMULATOR_ALLOCATION_DELAY_MS: '100',
  BATCH_EMULATOR_NODE_START_DELAY_MS: '50',
  BATCH_EMULATOR_DELETE_DELAY_MS: '100',
} as const;

export interface BenchEnv {
  dataDir: string;
  stack: LocalStack;
  /** Config of the stack with this process's worker task queue. */
  config: AppConfig;
  client: Client;
  azure: ActivityClients;
  /** Worker log (WARN and above), kept after the run. */
  logFile: string;
  /** A fresh directory for inputs, removed with the rest at stop(). */
  scratch(name: string): string;
  stop(): Promise<void>;
}

/** The worker log of this process: the SDK's logging is installed once, by the first env. */
let benchLogFile: string | undefined;

export interface BenchEnvOptions {
  /** The CPUs the emulator runs task processes on (a taskset list); unset, any. */
  nodeCpus?: string;
}

export async function startBenchEnv(options: BenchEnvOptions = {}): Promise<BenchEnv> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-batch-bench-'));
  if (!benchLogFile) {
    benchLogFile = path.join(os.tmpdir(), `durable-batch-bench-${Date.now()}.log`);
    // Logs would drown the figures: warnings and errors only, into a file named in the report.
    installLogging({ level: 'WARN', file: benchLogFile });
  }
  const logFile = benchLogFile;
  const batchEnv = options.nodeCpus
    ? { ...EMULATOR_ENV, BATCH_EMULATOR_NODE_CPUS: options.nodeCpus }
    : EMULATOR_ENV;
  const stack = await startTestStack(path.join(dataDir, 'stack'), { batchEnv });
  const stops: Array<() => Promise<void>> = [() => stack.stop()];
  try {
    const taskQueue = `bench-${process.pid}-${Date.now()}`;
    const config = loadConfig({
      ...process.env,
      ...stack.env,
      TEMPORAL_TASK_QUEUE: taskQueue,
      LOG_LEVEL: 'WARN',
    });
    const nativeConnection = await NativeConnection.connect({ address: config.temporal.address });
    stops.unshift(() => nativeConnection.close());
    const connection = await Connection.connect({ address: config.temporal.address });
    stops.unshift(() => connection.close());
    const worker: Worker = await createWorker(config, nativeConnection, {
      shutdownGraceTime: '2 seconds',
    });
    const running = worker.run();
    stops.unshift(async () => {
      worker.shutdown();
      await running;
    });
    let scratchCount = 0;
    return {
      dataDir,
      stack,
      config,
      client: new Client({ connection, dataConverter }),
      azure: createAzureClients(config),
      logFile,
      scratch(name) {
        const dir = path.join(dataDir, 'inputs', `${++scratchCount}-${name}`);
        fs.mkdirSync(dir, { recursive: true });
        return dir;
      },
      async stop() {
        for (const stop of stops.splice(0)) await stop().catch(() => undefined);
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    for (const stop of stops.splice(0)) await stop().catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

/** A CPU meter over the stack's processes and this one (which runs the in-process worker). */
export function cpuMeter(env: BenchEnv, extra: Record<string, number | undefined> = {}): CpuMeter {
  return new CpuMeter({
    emulator: env.stack.batch?.child?.pid,
    azurite: env.stack.azurite.child?.pid,
    temporal: env.stack.temporal.child?.pid,
    'bench + worker': process.pid,
    ...extra,
  });
}

export interface Measured<T> {
  value: T;
  /** CPU each of our processes used meanwhile (ms); the emulator's children are the tasks. */
  cpuMs: Record<string, { selfMs: number; childrenMs: number }>;
  /** Share of the machine (0-1) other people's processes used meanwhile. */
  othersCpu: number;
  /** Share of the machine (0-1) the hypervisor gave to other guests meanwhile (steal). */
  stealCpu: number;
}

/** Runs `fn`, with the CPU it cost and how disturbed the machine was meanwhile. */
export async function measure<T>(
  env: BenchEnv,
  fn: () => Promise<T>,
  extra: Record<string, number | undefined> = {},
): Promise<Measured<T>> {
  const meter = cpuMeter(env, extra);
  const value = await fn();
  return {
    value,
    cpuMs: meter.since(),
    othersCpu: meter.othersShare(),
    stealCpu: meter.stealShare(),
  };
}
