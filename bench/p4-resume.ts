// P4's resumed upload: one big file through the workflow's upload activity (uploadInputs, in a
// mock activity context as the rest of P4), cancelled once about half of it is stored, then
// retried from the last heartbeat as Temporal would hand it over. Figure: bytes sent beyond the
// file's size / its size (a block cut off by the cancel counts whole). Target <= 0.1.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../src/activities';
import type { TransferSummary } from '../src/activities/storage';
import type { TransferHeartbeat } from '../src/activities/storage/transfer';
import { UPLOAD_DEFAULTS } from '../src/transcode';
import type { BenchEnv } from './harness';
import { round } from './phases';

export const P4_RESUME_TARGET = { resentFractionMax: 0.1 };

const MIB = 1024 * 1024;

/** A file of `bytes` random bytes, written a chunk at a time (never all in memory). */
function makeBigFile(file: string, bytes: number): void {
  const fd = fs.openSync(file, 'w');
  try {
    for (let written = 0; written < bytes;) {
      const chunk = crypto.randomBytes(Math.min(16 * MIB, bytes - written));
      fs.writeSync(fd, chunk);
      written += chunk.length;
    }
  } finally {
    fs.closeSync(fd);
  }
}

export async function benchResumedUpload(
  env: BenchEnv,
  fileBytes: number,
  say: (s: string) => void,
) {
  const dir = env.scratch('p4-resume');
  const blobName = 'big.bin';
  makeBigFile(path.join(dir, blobName), fileBytes);
  const storage = createActivities({ batch: env.azure.batch, storage: env.azure.storage });
  const name = `bench-resume-${Date.now().toString(36)}`;
  const container = env.azure.storage.blobService.getContainerClient(name);
  await storage.ensureContainers({ names: [name] }); // as the run does first
  const args = { dir, container: name, files: [{ blobName, size: fileBytes }] };
  say(`P4: a ${fileBytes / MIB} MB upload cancelled halfway, then resumed`);
  try {
    // Attempt 1, cancelled once half the file is stored. Heartbeats are copied as the worker
    // would serialize them (the activity goes on changing its state object).
    const first = new MockActivityEnvironment();
    let last: TransferHeartbeat | undefined;
    first.on('heartbeat', (details: TransferHeartbeat) => {
      last = structuredClone(details);
      if (details.bytes >= fileBytes / 2) first.cancel();
    });
    const t0 = performance.now();
    const cancelled = await first.run(storage.uploadInputs.bind(storage), args).then(
      () => false,
      () => true,
    );
    const firstMs = performance.now() - t0;
    if (!cancelled || !last) throw new Error('P4 resume: attempt 1 was not cancelled halfway');
    const sentBeforeKill = last.sentBytes ?? 0;
    // Attempt 2, from attempt 1's last heartbeat.
    const t1 = performance.now();
    const summary: TransferSummary = await new MockActivityEnvironment({
      heartbeatDetails: last,
    }).run(storage.uploadInputs.bind(storage), args);
    const secondMs = performance.now() - t1;
    if (summary.transferred !== 1) throw new Error('P4 resume: attempt 2 did not upload the file');
    const list = await container.getBlockBlobClient(blobName).getBlockList('all');
    const sentBytes = summary.sentBytes ?? 0;
    const resentFraction = Math.round(((sentBytes - fileBytes) / fileBytes) * 1000) / 1000;
    return {
      fileBytes,
      blockBytes: UPLOAD_DEFAULTS.blockBytes,
      blocksAtOnce: UPLOAD_DEFAULTS.blocksAtOnce,
      sentBeforeCancelBytes: sentBeforeKill,
      sentAfterBytes: sentBytes - sentBeforeKill,
      resentFraction,
      committedBlocks: list.committedBlocks?.length ?? 0,
      uncommittedBlocksLeft: list.uncommittedBlocks?.length ?? 0,
      ms: { cancelledAttempt: round(firstMs), resumedAttempt: round(secondMs) },
      target: P4_RESUME_TARGET,
      met: resentFraction <= P4_RESUME_TARGET.resentFractionMax,
    };
  } finally {
    await container.deleteIfExists();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
