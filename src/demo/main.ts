// `npm start`: the tutorial end to end on the local stack. Brings up the stack and a worker,
// makes five sample clips (unless --input is given), runs the workflow with progress, asks
// about cleanup on a TTY (approves it without one), downloads the MP3s into ./output and
// prints a summary with the Web UI link. A run interrupted earlier is resumed, not repeated.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline/promises';
import { Command } from 'commander';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { ConfigError, PROJECT_ROOT, loadConfig } from '../config';
import { startLocalStack } from '../stack/stack';
import { createWorker, secretsOf } from '../worker';
import { waitAndReport } from '../cli/report';
import { livePageHint } from '../web/hint';
import {
  type TranscodeInput,
  approveCleanupSignal,
  transcodePhaseKey,
  type TranscodeWorkflow,
  TRANSCODE_WORKFLOW_TYPE,
} from '../transcode';
import { makeSampleClips } from './samples';
import { commandLinePath, inputDetails } from '../cli/options';
import { installLogging } from '../logging';
import { dataConverter } from '../payload-codec';

const DEMO_WORKFLOW_ID = 'transcode-demo';

async function run(): Promise<number> {
  const options = new Command('start')
    .description('Run the Azure Batch ffmpeg tutorial durably on the local stack.')
    .option('--input <dir>', 'folder of MP4 files (default: five generated sample clips)')
    .option('--output <dir>', 'where the MP3s go', path.join(PROJECT_ROOT, 'output'))
    .option('--json', 'machine-readable result on the last line', false)
    .parse(process.argv)
    .opts<{ input?: string; output: string; json: boolean }>();

  const config = loadConfig();
  const logFile = path.join(config.stack.dataDir, 'logs', 'worker.log');
  installLogging({ level: config.logLevel, file: logFile, secrets: secretsOf(config) });
  if (config.target !== 'local') {
    console.log('Azure variables are set: the demo still runs on the local stack only.');
  }
  const log = (line: string) => {
    if (!options.json) console.log(line);
  };
  log(`Starting the local stack (data in ${config.stack.dataDir})...`);
  const stack = await startLocalStack({
    ...config.stack,
    reuse: true,
    onServiceReady: (name, url) => log(`  ${name.padEnd(22)} ${url}`),
  });
  const nativeConnection = await NativeConnection.connect({ address: stack.temporal.address });
  const connection = await Connection.connect({ address: stack.temporal.address });
  const local = loadConfig({ ...process.env, ...stack.env });
  const worker = await createWorker(local, nativeConnection);
  const workerRun = worker.run();
  try {
    const client = new Client({ connection, dataConverter });
    const handle = client.workflow.getHandle<TranscodeWorkflow>(DEMO_WORKFLOW_ID);
    const running = await handle
      .describe()
      .then((d) => d.status.name === 'RUNNING')
      .catch((err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      });
    if (running) {
      log(`Resuming the interrupted run ${DEMO_WORKFLOW_ID} (nothing is created again).`);
    } else {
      const inputDir = options.input
        ? commandLinePath(options.input)
        : path.join(config.stack.dataDir, 'samples');
      if (!options.input) {
        log(`Making five sample clips in ${inputDir}...`);
        await makeSampleClips(inputDir, 5, 4);
      }
      const outputDir = commandLinePath(options.output);
      fs.mkdirSync(outputDir, { recursive: true });
      const input: TranscodeInput = {
        input: { localDir: inputDir },
        output: { downloadDir: outputDir },
        cleanup: { policy: 'ask', decisionTimeoutMinutes: 30, defaultDecision: 'delete' },
        polling: { maxIntervalSeconds: 5 },
      };
      await client.workflow.start<TranscodeWorkflow>(TRANSCODE_WORKFLOW_TYPE, {
        taskQueue: local.temporal.taskQueue,
        workflowId: DEMO_WORKFLOW_ID,
        args: [input],
        // Lets the run publish its phase, pool and job for filtering in the Web UI.
        typedSearchAttributes: [{ key: transcodePhaseKey, value: 'starting' }],
        staticDetails: inputDetails(input),
        staticSummary: `Demo: ${path.basename(inputDir)}/*.mp4 → mp3`,
      });
      log(`Started ${DEMO_WORKFLOW_ID} (worker log: ${logFile}).`);
    }
    log(livePageHint(DEMO_WORKFLOW_ID));
    const interactive = Boolean(process.stdin.isTTY) && !options.json;
    if (!interactive) {
      // Nobody to ask: approve the cleanup up front (delete job and pool), as the policy allows.
      await handle.signal(approveCleanupSignal, { deleteJob: true, deletePool: true });
    }
    const code = await waitAndReport(handle, local, 'default', options.json, interactive, () =>
      emulatorReport(local.batch.url),
    );
    if (interactive) {
      // As the tutorial ends: keep the stack up so the Web UI link works until the person is done.
      const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
      await rl.question(
        '\nThe local stack stays up for the Web UI. Press ENTER to stop it and exit...',
      );
      rl.close();
    }
    return code;
  } finally {
    worker.shutdown();
    await workerRun.catch(() => undefined);
    await connection.close();
    await nativeConnection.close();
    await stack.stop();
  }
}

interface EmulatorCounts {
  created: { pools: number; jobs: number; tasks: number };
  live: { pools: number; jobs: number; tasks: number };
}

/** What the Batch emulator saw: resources ever created in this data dir, and what is left. */
async function emulatorReport(
  batchUrl: string,
): Promise<{ json: Record<string, unknown>; text: string }> {
  let stats: EmulatorCounts | undefined;
  // Batch deletes asynchronously: give the deletes a few seconds to finish before counting.
  for (let i = 0; i < 50; i++) {
    stats = (await (await fetch(`${batchUrl}/_emulator/stats`)).json()) as EmulatorCounts;
    if (stats.live.pools === 0 && stats.live.jobs === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const s = stats!;
  return {
    json: { emulator: { created: s.created, live: s.live } },
    text:
      `  Batch emulator: ever created ${s.created.pools} pool(s), ${s.created.jobs} job(s), ` +
      `${s.created.tasks} task(s) in this data dir; ${s.live.pools} pool(s) and ${s.live.jobs} job(s) left`,
  };
}

run().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof ConfigError || err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
