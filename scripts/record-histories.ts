// `npm run record-histories`: records the histories of a handful of real runs, one per path
// through the workflow, into test/fixtures/histories/<name>.json. test/replay/histories.test.ts
// replays them against the current workflow code, so a change that would break a run in flight
// fails `npm test` (docs/upgrades.md). Brings up its own private stack and worker; stops both.
//
// Re-record only when every run of the old code has ended (or the change is patched): the old
// fixtures are the proof that the new code still replays the old runs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection } from '@temporalio/worker';
import * as prettier from 'prettier';
import { setEmulatorFaults } from 'azure-batch-emulator/control';
import { loadConfig, PROJECT_ROOT, type AppConfig } from '../src/config';
import { makeSampleClips } from '../src/demo/samples';
import { installLogging } from '../src/logging';
import { dataConverter } from '../src/payload-codec';
import { startTestStack } from '../src/stack/stack';
import {
  approveCleanupSignal,
  approveCleanupUpdate,
  cancelSignal,
  progressQuery,
  type Progress,
  type TranscodeInput,
  type TranscodeWorkflow,
} from '../src/transcode';
import { createWorkers } from '../src/worker';

export const FIXTURE_DIR = path.join(PROJECT_ROOT, 'test', 'fixtures', 'histories');

/** One fixture file: every run of one workflow id (a continue-as-new chain), oldest first. */
export interface HistoryFixture {
  name: string;
  description: string;
  workflowId: string;
  recordedAt: string;
  runs: Array<{ runId: string; history: unknown }>;
}

type Handle = WorkflowHandle<TranscodeWorkflow>;

/** What a scenario's input may name: the clips' folder, the recording worker's host, a unique tag. */
interface Recording {
  clips: string;
  hostId: string;
  tag: string;
  /** The emulator's address, for scenarios that set its faults. */
  batchUrl: string;
  /** Runs a workflow (not recorded) to its end, e.g. one whose outputs the scenario reuses. */
  runToEnd(workflowId: string, input: TranscodeInput): Promise<void>;
}

interface Scenario {
  name: string;
  description: string;
  /**
   * Recorded by an earlier version (before the manifest, incremental runs and the pool's fit and
   * idle; `v2-` ones: before the tasks were added beside the upload; `v3-` ones: before the
   * task watch; `v4-` ones: before the pool was asked for beside the selection; `v5-` ones:
   * before a creation cancelled on its way was waited for): never rewritten once its file
   * exists, since it stands for the runs in flight from that version.
   */
  legacy?: true;
  input(recording: Recording): TranscodeInput;
  /** Before the recorded run starts. */
  prepare?(recording: Recording): Promise<void>;
  /** Drives the run (signals, updates) and waits for its end; a failed run is expected here. */
  drive(handle: Handle, recording: Recording): Promise<void>;
}

const fast = { minIntervalSeconds: 0.2, maxIntervalSeconds: 1 };
/** Polls and waits short enough to continue as new a few times in a run of seconds. */
const manyWaits = { minIntervalSeconds: 0.05, maxIntervalSeconds: 0.05, maxHistoryEvents: 60 };
/** One task outlasts the other, so the pool shrinks to the node still busy. */
const oneTaskOutlasts = {
  commandTemplate:
    '/bin/bash -c "case $AZ_BATCH_TASK_ID in *1) sleep 1;; *) sleep 6;; esac; ffmpeg -y -i {input} {output}"',
};

async function phaseReached(handle: Handle, done: (p: Progress) => boolean): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (done(await handle.query(progressQuery))) return;
    await sleep(100);
  }
  throw new Error(`${handle.workflowId}: the awaited phase never came`);
}

const settle = async (handle: Handle) => {
  await handle.result().catch(() => undefined);
};

/** A run with cleanup `ask`, decided once it waits for the decision. */
function askScenario(
  name: string,
  by: string,
  pattern: string,
  decide: (handle: Handle) => Promise<unknown>,
): Scenario {
  return {
    name,
    description: `cleanup policy ask, decided by ${by}`,
    legacy: true,
    input: ({ clips }) => ({
      input: { localDir: clips, pattern },
      pool: { lowPriorityNodes: 1 },
      cleanup: { policy: 'ask', decisionTimeoutMinutes: 10 },
      polling: fast,
    }),
    drive: async (handle) => {
      await phaseReached(handle, (p) => p.phase === 'awaiting-cleanup-decision');
      await decide(handle);
      await settle(handle);
    },
  };
}

/** A scenario made by one of the factories below, which differ only in what it runs. */
function scenario(
  name: string,
  description: string,
  legacy: true | undefined,
  run: Pick<Scenario, 'input' | 'drive'>,
): Scenario {
  return { name, description, ...(legacy ? { legacy } : {}), ...run };
}

/** The cancel signal once a task runs (each runs 30 s): the job terminated, then cleanup. */
function cancelScenario(name: string, description: string, legacy?: true): Scenario {
  return scenario(name, description, legacy, {
    input: ({ clips }) => ({
      input: { localDir: clips },
      output: { commandTemplate: '/bin/bash -c "sleep 30; ffmpeg -y -i {input} {output}"' },
      pool: { lowPriorityNodes: 1 },
      cleanup: { policy: 'always' },
      polling: fast,
    }),
    drive: async (handle) => {
      await phaseReached(handle, (p) => p.phase === 'running' && p.tasks.counts.running > 0);
      await handle.signal(cancelSignal, { reason: 'recorded cancel' });
      await settle(handle);
    },
  });
}

/**
 * The paths of the version before the tasks were added beside the upload: manifest, the input
 * host's queue, select and stamp, pool fit/idle.
 */
const V2_SCENARIOS: Scenario[] = [
  {
    name: 'v2-succeeded',
    legacy: true,
    description: 'two clips from the input host, manifest, stamped outputs, cleanup always',
    input: ({ clips, hostId }) => fromHost(clips, hostId),
    drive: settle,
  },
  {
    name: 'v2-reused',
    legacy: true,
    description: 'a second run whose outputs are stored already: nothing to convert or create',
    input: ({ clips, hostId, tag }) => reusable(clips, hostId, tag),
    prepare: (recording) =>
      recording.runToEnd(
        `fixture-v2-reused-first-${recording.tag}`,
        reusable(recording.clips, recording.hostId, recording.tag),
      ),
    drive: settle,
  },
  {
    name: 'v2-ask-pool-idle',
    legacy: true,
    description: 'cleanup ask: the pool resized to 0 nodes while waiting, then approved',
    input: ({ clips }) => ({
      input: { localDir: clips, pattern: 'LowPriVMs-1.mp4' },
      pool: { lowPriorityNodes: 1 },
      cleanup: { policy: 'ask', decisionTimeoutMinutes: 10 },
      polling: fast,
    }),
    drive: async (handle) => {
      await phaseReached(handle, (p) => p.phase === 'awaiting-cleanup-decision');
      await handle.executeUpdate(approveCleanupUpdate, {
        args: [{ deleteJob: true, deletePool: true }],
      });
      await settle(handle);
    },
  },
  {
    name: 'v2-continued-as-new',
    legacy: true,
    description:
      'continues as new in the pool wait and the task wait; the pool shrinks in the wait',
    input: ({ clips }) => ({
      input: { localDir: clips },
      output: oneTaskOutlasts,
      pool: { lowPriorityNodes: 2, startTaskCommand: '/bin/bash -c "sleep 3"' },
      cleanup: { policy: 'always' },
      polling: manyWaits,
    }),
    drive: settle,
  },
];

/** The tasks added as their inputs are stored, beside the upload; polls made by the workflow. */
const V3_SCENARIOS: Scenario[] = [
  {
    name: 'v3-tasks-follow-upload',
    legacy: true,
    description: 'two clips from the input host, each task added once its input is stored',
    input: ({ clips, hostId }) => fromHost(clips, hostId),
    drive: settle,
  },
];

/** The task watch: the wait for the tasks inside one activity (watchTasks). */
function taskWatchScenario(name: string, description: string, legacy?: true): Scenario {
  return scenario(name, description, legacy, {
    input: ({ clips }) => ({
      input: { localDir: clips },
      output: oneTaskOutlasts,
      pool: { lowPriorityNodes: 2 },
      cleanup: { policy: 'always' },
      polling: manyWaits,
    }),
    drive: settle,
  });
}

/** The wait for the tasks inside one activity, the pool asked for once the inputs were selected. */
const V4_SCENARIOS: Scenario[] = [
  taskWatchScenario(
    'v4-task-watch',
    'the task watch hands back at its laps and to shrink the pool; continues as new in the task wait',
    true,
  ),
  cancelScenario(
    'v4-cancelled-in-watch',
    'the cancel signal while the task watch runs: job terminated, then cleanup',
    true,
  ),
];

/** A fresh output container, so the pool is asked for beside the selection. */
const V5_SCENARIOS: Scenario[] = [
  taskWatchScenario(
    'v5-pool-beside-select',
    'nothing stored yet: the pool asked for while the inputs are selected; the task watch with its laps, a shrink and continue-as-new',
    true,
  ),
  cancelScenario(
    'v5-cancelled-in-watch',
    'the cancel signal while the task watch runs (pool asked for beside the selection): job terminated, then cleanup',
    true,
  ),
];

/** A pool or job request cancelled on its way is waited for before cleanup. */
const V6_SCENARIOS: Scenario[] = [
  taskWatchScenario(
    'v6-pool-beside-select',
    'as v5-pool-beside-select, the creations waiting for their requests when cancelled',
    true,
  ),
  {
    name: 'v6-cancelled-while-pool-created',
    legacy: true,
    description:
      'the cancel signal while Batch holds the pool request: cleanup deletes the pool once it lands',
    input: ({ clips }) => ({
      input: { localDir: clips },
      pool: { lowPriorityNodes: 1 },
      cleanup: { policy: 'always' },
      polling: fast,
    }),
    prepare: ({ batchUrl }) =>
      setEmulatorFaults(batchUrl, { slowRate: 1, slowDelayMs: 1500, operations: ['Pool_Add'] }),
    drive: async (handle, { batchUrl }) => {
      try {
        // Its request started is its request held (every Pool_Add is, for now).
        for (;;) {
          const pending = (await handle.describe()).raw.pendingActivities ?? [];
          const creating = pending.find((a) => a.activityType?.name === 'createPoolIfAbsent');
          const started = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;
          if (creating?.state === started) break;
          await sleep(20);
        }
        await handle.signal(cancelSignal, { reason: 'recorded cancel' });
        await settle(handle);
      } finally {
        await setEmulatorFaults(batchUrl, {});
      }
    },
  },
];

/** The containers' request is waited for too. */
const V7_SCENARIOS: Scenario[] = [
  taskWatchScenario(
    'v7-containers-settle',
    'as v6-pool-beside-select, the containers request waited for as well when cancelled',
    true,
  ),
];

/** The inspection (which writes the manifest) is waited for too. */
const V8_SCENARIOS: Scenario[] = [
  taskWatchScenario(
    'v8-inspect-settles',
    'as v7-containers-settle, the inspection waited for as well when cancelled',
    true,
  ),
];

/** The selection (which writes its manifest) is waited for too. */
const V9_SCENARIOS: Scenario[] = [
  taskWatchScenario(
    'v9-select-settles',
    'as v8-inspect-settles, the selection waited for as well when cancelled',
    true,
  ),
];

/** The current code's paths: the upload (which publishes its progress) is waited for too. */
const V10_SCENARIOS: Scenario[] = [
  taskWatchScenario(
    'v10-upload-settles',
    'as v9-select-settles, the upload waited for as well when cancelled',
  ),
];

/** A run that downloads its outputs downloads those it reused too (the selection lists them). */
const V11_SCENARIOS: Scenario[] = [
  {
    name: 'v11-reused-downloaded',
    description: 'a second run whose outputs are stored, downloading them: nothing created',
    input: ({ clips, hostId, tag }) => {
      const input = reusable(clips, hostId, tag);
      const downloadDir = path.join(os.tmpdir(), `fixture-download-${tag}`);
      return { ...input, output: { ...input.output, downloadDir } };
    },
    prepare: (recording) =>
      recording.runToEnd(
        `fixture-v11-reused-downloaded-first-${recording.tag}`,
        reusable(recording.clips, recording.hostId, recording.tag),
      ),
    drive: settle,
  },
];

/** The clips read on the recording worker's host, one node, cleanup always. */
function fromHost(clips: string, hostId: string): TranscodeInput {
  return {
    input: { localDir: clips, inputHost: hostId },
    pool: { lowPriorityNodes: 1 },
    cleanup: { policy: 'always' },
    polling: fast,
  };
}

/** The same input and output container each time: a second run finds its outputs stored. */
function reusable(clips: string, hostId: string, tag: string): TranscodeInput {
  return {
    input: { localDir: clips, inputHost: hostId },
    output: { container: `fixture-reused-${tag}` },
    pool: { lowPriorityNodes: 1 },
    cleanup: { policy: 'always' },
    polling: fast,
  };
}

const SCENARIOS: Scenario[] = [
  {
    name: 'succeeded',
    description: 'two clips converted, cleanup always',
    legacy: true,
    input: ({ clips }) => ({
      input: { localDir: clips },
      pool: { lowPriorityNodes: 1 },
      cleanup: { policy: 'always' },
      polling: fast,
    }),
    drive: settle,
  },
  {
    name: 'continued-as-new',
    description: 'continues as new in the pool wait and in the task wait',
    legacy: true,
    input: ({ clips }) => ({
      input: { localDir: clips, pattern: 'LowPriVMs-1.mp4' },
      output: { commandTemplate: '/bin/bash -c "sleep 4; ffmpeg -y -i {input} {output}"' },
      pool: { lowPriorityNodes: 1, startTaskCommand: '/bin/bash -c "sleep 3"' },
      cleanup: { policy: 'always' },
      polling: manyWaits,
    }),
    drive: settle,
  },
  cancelScenario(
    'cancelled-by-signal',
    'the cancel signal while tasks run: job terminated, then cleanup',
    true,
  ),
  askScenario('ask-decided-by-signal', 'the approveCleanup signal', 'LowPriVMs-1.mp4', (handle) =>
    handle.signal(approveCleanupSignal, { deleteJob: true, deletePool: true }),
  ),
  askScenario('ask-decided-by-update', 'the approveCleanup update', 'LowPriVMs-2.mp4', (handle) =>
    handle.executeUpdate(approveCleanupUpdate, {
      args: [{ deleteJob: true, deletePool: true }],
    }),
  ),
  {
    name: 'failed-missing-folder',
    description: 'the input folder does not exist: fails before anything is created',
    legacy: true,
    input: ({ clips }) => ({
      input: { localDir: path.join(clips, 'missing') },
      cleanup: { policy: 'always' },
    }),
    drive: settle,
  },
  ...V2_SCENARIOS,
  ...V3_SCENARIOS,
  ...V4_SCENARIOS,
  ...V5_SCENARIOS,
  ...V6_SCENARIOS,
  ...V7_SCENARIOS,
  ...V8_SCENARIOS,
  ...V9_SCENARIOS,
  ...V10_SCENARIOS,
  ...V11_SCENARIOS,
];

/** Strings that must never be in a fixture: the accounts' keys and any SAS signature. */
/**
 * Failure messages and stack traces name this machine's folders (the project, the temp dir):
 * a fixture in the repository names neither. Replay compares commands, not these texts.
 */
export function withoutMachinePaths(text: string): string {
  return text.split(PROJECT_ROOT).join('<project>').split(os.tmpdir()).join('<tmp>');
}

export function secretsIn(text: string, config: AppConfig): string[] {
  const secrets = [config.batch.accountKey, config.storage.accountKey, 'sig=', 'AccountKey='];
  return secrets.filter((s): s is string => !!s && text.includes(s));
}

/**
 * The history as a plain JSON object (protobufjs `toObject`: enums by name, 64-bit ints and
 * bytes as strings), read back with `History.fromObject` (test/replay/histories.test.ts). Not
 * `historyToJSON`: with this install's two protobufjs copies (8.x under @temporalio/common, 7.x
 * under @temporalio/proto) it and `historyFromJSON` throw "type must be a Type".
 */
export function historyToPlainObject(history: temporal.api.history.v1.IHistory): unknown {
  const message = temporal.api.history.v1.History.fromObject(history);
  return temporal.api.history.v1.History.toObject(message, {
    longs: String,
    enums: String,
    bytes: String,
  });
}

async function fetchChain(client: Client, workflowId: string): Promise<HistoryFixture['runs']> {
  const executions: Array<{ runId: string; startTime: Date }> = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    executions.push({ runId: execution.runId, startTime: execution.startTime });
  }
  executions.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
  const runs: HistoryFixture['runs'] = [];
  for (const { runId } of executions) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    runs.push({ runId, history: historyToPlainObject(history) });
  }
  return runs;
}

async function main(): Promise<void> {
  installLogging({ level: 'WARN' });
  const only = process.argv.slice(2);
  const unknown = only.filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length > 0) throw new Error(`no such scenario: ${unknown.join(', ')}`);
  // A legacy fixture is recorded only when missing: rewritten by today's code it would no longer
  // stand for the old version's runs.
  const scenarios = SCENARIOS.filter(
    (s) =>
      (only.length === 0 || only.includes(s.name)) &&
      !(s.legacy && fs.existsSync(path.join(FIXTURE_DIR, `${s.name}.json`))),
  );
  const kept = SCENARIOS.filter((s) => only.includes(s.name) && !scenarios.includes(s));
  for (const s of kept) console.log(`${s.name}: legacy fixture kept, not re-recorded`);
  if (scenarios.length === 0) return;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-batch-record-'));
  const clips = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-batch-record-clips-'));
  const stack = await startTestStack(dataDir);
  try {
    const base = loadConfig({ ...process.env, ...stack.env });
    const config: AppConfig = {
      ...base,
      temporal: { ...base.temporal, taskQueue: 'record-histories' },
      // A fixed host id: the fixture names no machine.
      worker: { ...base.worker, hostId: 'recording-host' },
    };
    await makeSampleClips(clips, 2, 2);
    const nativeConnection = await NativeConnection.connect({ address: config.temporal.address });
    const connection = await Connection.connect({ address: config.temporal.address });
    const client = new Client({ connection, dataConverter });
    const workers = await createWorkers(config, nativeConnection, {
      shutdownGraceTime: '2 seconds',
    });
    const running = workers.run();
    try {
      const stamp = Date.now();
      const start = (workflowId: string, input: TranscodeInput) =>
        client.workflow.start<TranscodeWorkflow>('transcodeWorkflow', {
          taskQueue: config.temporal.taskQueue,
          workflowId,
          args: [input],
        });
      const recording: Recording = {
        clips,
        hostId: config.worker.hostId,
        tag: String(stamp),
        batchUrl: config.batch.url,
        runToEnd: async (workflowId, input) => {
          await (await start(workflowId, input)).result();
        },
      };
      // All at once: the emulator runs them in parallel, so recording takes as long as the slowest.
      const settled = await Promise.allSettled(
        scenarios.map(async (scenario) => {
          const workflowId = `fixture-${scenario.name}-${stamp}`;
          await scenario.prepare?.(recording);
          const handle = await start(workflowId, scenario.input(recording));
          await scenario.drive(handle, recording);
          const fixture: HistoryFixture = {
            name: scenario.name,
            description: scenario.description,
            workflowId,
            recordedAt: new Date().toISOString(),
            runs: await fetchChain(client, workflowId),
          };
          return fixture;
        }),
      );
      const recorded: HistoryFixture[] = [];
      const failed: unknown[] = [];
      for (const outcome of settled) {
        if (outcome.status === 'fulfilled') recorded.push(outcome.value);
        else failed.push(outcome.reason);
      }
      if (failed.length > 0) throw new AggregateError(failed, 'recording failed');
      fs.mkdirSync(FIXTURE_DIR, { recursive: true });
      for (const fixture of recorded) {
        const file = path.join(FIXTURE_DIR, `${fixture.name}.json`);
        const options = (await prettier.resolveConfig(file)) ?? {};
        const text = await prettier.format(withoutMachinePaths(JSON.stringify(fixture)), {
          ...options,
          filepath: file,
        });
        const leaked = secretsIn(text, config);
        if (leaked.length > 0) {
          throw new Error(`${fixture.name}: the history holds a secret (${leaked.length} kind(s))`);
        }
        fs.writeFileSync(file, text);
        console.log(
          `${path.relative(PROJECT_ROOT, file)}: ${fixture.runs.length} run(s), ` +
            `${(text.length / 1024).toFixed(1)} KB`,
        );
      }
    } finally {
      workers.shutdown();
      await running;
      await connection.close();
      await nativeConnection.close();
    }
  } finally {
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(clips, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
