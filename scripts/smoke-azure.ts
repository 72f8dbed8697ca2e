// `npm run smoke:azure`: the tutorial against a real Azure account, in one command, leaving
// nothing behind. Two generated clips on a one-node pool, a unique run id, a hard cap on the
// run's lifetime, cleanup of everything it created even when it fails or is interrupted; and
// first a sweep that removes what an earlier, killed invocation left (found by owner metadata).
// Without the Azure variables it says which are missing and exits 2: it is never a passing test.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { ActivityClients } from '../src/activities';
import { createAzureClients } from '../src/azure-clients';
import { deleteResource, listOwned } from '../src/cli/orphans';
import { ConfigError, loadConfig, temporalConnection, type AppConfig } from '../src/config';
import { makeSampleClips } from '../src/demo/samples';
import { installLogging } from '../src/logging';
import { dataConverter } from '../src/payload-codec';
import { freePort } from '../src/stack/ports';
import { startTemporal, type TemporalService } from '../src/stack/temporal';
import {
  cancelSignal,
  TRANSCODE_WORKFLOW_TYPE,
  type TranscodeResult,
  type TranscodeWorkflow,
} from '../src/transcode';
import { createWorker, secretsOf } from '../src/worker';

/** Every workflow id, and so every owner and derived name, of a smoke run starts with this. */
const PREFIX = 'smoke-';
const MAX_MINUTES = Number(process.env.SMOKE_MAX_MINUTES ?? 30);
const DEDICATED_NODES = Number(process.env.SMOKE_DEDICATED_NODES ?? 1);

function say(line: string): void {
  console.log(`[smoke:azure] ${line}`);
}

/**
 * Pools and jobs any smoke run owns (owner metadata), and containers named after one: what a
 * killed run left. Smoke runs are not meant to overlap on one account (the README says so), and
 * an earlier run's private Temporal server is gone, so every smoke owner counts as ended here.
 */
async function sweep(azure: ActivityClients): Promise<string[]> {
  const removed: string[] = [];
  const { owned } = await listOwned(azure.batch);
  // listOwned gives jobs before pools: jobs go first.
  for (const resource of owned) {
    if (resource.owner.startsWith(PREFIX) && resource.batchState !== 'deleting') {
      await deleteResource(azure.batch, resource.kind, resource.id);
      removed.push(`${resource.kind} ${resource.id}`);
    }
  }
  for await (const container of azure.storage.blobService.listContainers({ prefix: PREFIX })) {
    await azure.storage.blobService.deleteContainer(container.name);
    removed.push(`container ${container.name}`);
  }
  return removed;
}

async function temporalFor(config: AppConfig): Promise<TemporalService | undefined> {
  if (process.env.TEMPORAL_ADDRESS) return undefined;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smoke-temporal-'));
  return startTemporal({
    dataDir,
    port: await freePort(),
    uiPort: await freePort(),
    reuse: false,
  }).then((service) => {
    config.temporal.address = service.address;
    return service;
  });
}

async function run(): Promise<number> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  if (config.target !== 'azure') {
    console.error(
      'smoke:azure runs against a real Azure account, and none is configured. Set ' +
        'AZURE_BATCH_ACCOUNT_URL and AZURE_STORAGE_ACCOUNT_NAME to sign in with Microsoft Entra ' +
        'ID (an identity DefaultAzureCredential finds), or all of AZURE_BATCH_ACCOUNT_NAME, ' +
        'AZURE_BATCH_ACCOUNT_KEY, AZURE_BATCH_ACCOUNT_URL, AZURE_STORAGE_ACCOUNT_NAME and ' +
        'AZURE_STORAGE_ACCOUNT_KEY to use account keys (see the README, Real Azure).',
    );
    return 2;
  }
  installLogging({ level: 'WARN', secrets: secretsOf(config) });
  const azure = createAzureClients(config);
  say(`account ${config.batch.url}, storage ${config.storage.blobUrl}`);
  const leftovers = await sweep(azure);
  say(
    leftovers.length ? `removed what earlier runs left: ${leftovers.join(', ')}` : 'nothing left',
  );

  const temporal = await temporalFor(config);
  const { connectionOptions, namespace } = temporalConnection(config);
  const native = await NativeConnection.connect(connectionOptions);
  const connection = await Connection.connect(connectionOptions);
  const runId = `${PREFIX}${new Date()
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14)}-${Math.random().toString(36).slice(2, 8)}`;
  const taskQueue = `${runId}-queue`;
  const worker = await createWorker(config, native, { taskQueue });
  const clips = fs.mkdtempSync(path.join(os.tmpdir(), `${runId}-`));
  await makeSampleClips(clips, 2, 3);
  const client = new Client({ connection, namespace, dataConverter });
  let result: TranscodeResult | undefined;
  let failure: unknown;
  let stopRequested = false;
  await worker.runUntil(async () => {
    const handle = await client.workflow.start<TranscodeWorkflow>(TRANSCODE_WORKFLOW_TYPE, {
      taskQueue,
      workflowId: runId,
      args: [
        {
          input: { localDir: clips },
          pool: { dedicatedNodes: DEDICATED_NODES, lowPriorityNodes: 0 },
          timeoutMinutes: Math.min(15, MAX_MINUTES),
          cleanup: { policy: 'always' },
        },
      ],
    });
    say(`started ${runId} (lifetime cap ${MAX_MINUTES} min)`);
    const stop = (why: string) => {
      if (stopRequested) return;
      stopRequested = true;
      say(`${why}: cancelling; the run cleans up what it created`);
      handle.signal(cancelSignal, { reason: `smoke:azure ${why}` }).catch(() => undefined);
    };
    const cap = setTimeout(
      () => stop(`the ${MAX_MINUTES}-minute cap passed`),
      MAX_MINUTES * 60_000,
    );
    const onSignal = () => stop('interrupted');
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      result = await handle.result();
    } catch (err) {
      failure = err;
    } finally {
      clearTimeout(cap);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
  await Promise.all([native.close(), connection.close()]);
  await temporal?.stop();

  // Whatever the run did or did not clean up, nothing of a smoke run may stay.
  const remaining = await sweep(azure);
  if (remaining.length) say(`removed after the run: ${remaining.join(', ')}`);
  if (result) say(`${result.status}: ${result.message}`);
  if (failure)
    say(`failed: ${failure instanceof Error ? failure.message : JSON.stringify(failure)}`);
  return result?.status === 'succeeded' ? 0 : 1;
}

run().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
