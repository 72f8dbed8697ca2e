// P4: the workflow's upload activity (uploadInputs, run in a mock activity context) against a
// bare @azure/storage-blob upload loop of the same concurrency, each into a fresh container.
// Target: throughput ours / bare >= 0.9; a second run of ours resends nothing (MD5 skip); a big
// file cancelled halfway and resumed resends <= 10 % of it (bench/p4-resume.ts).
// For the profile, the same rounds with tiny files, where requests rather than bytes are the
// cost (P3's upload phase).
import fs from 'node:fs';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ContainerClient } from '@azure/storage-blob';
import { createActivities } from '../src/activities';
import { measure, type BenchEnv } from './harness';
import { makeRandomFiles, makeTinyFiles } from './inputs';
import { benchResumedUpload } from './p4-resume';
import type { BenchSizes } from './options';
import { median, ratio, round } from './phases';

export const P4_TARGET = { ratioMin: 0.9, resentBytes: 0 };

type Variant = 'bare' | 'ours';
const VARIANTS: Variant[] = ['bare', 'ours'];

/** Runs `fn` inside a Temporal activity context (heartbeats go nowhere), as the worker would. */
function inActivity<T>(fn: () => Promise<T>): Promise<T> {
  return new MockActivityEnvironment().run<[], T, () => Promise<T>>(fn);
}

async function bareUpload(container: ContainerClient, files: string[], concurrency: number) {
  await container.createIfNotExists();
  let next = 0;
  const runner = async () => {
    while (next < files.length) {
      const file = files[next++];
      await container.getBlockBlobClient(path.basename(file)).uploadFile(file);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, runner));
}

/** Each variant `repeats` times, alternating, each into a fresh container; median ms each. */
async function rounds(
  env: BenchEnv,
  paths: string[],
  concurrency: number,
  repeats: number,
  tag: string,
) {
  const dir = path.dirname(paths[0]);
  const files = paths.map((p) => ({ blobName: path.basename(p), size: fs.statSync(p).size }));
  const { blobService } = env.azure.storage;
  const storage = createActivities({
    batch: env.azure.batch,
    storage: { ...env.azure.storage, concurrency },
  });
  const times: Record<Variant, number[]> = { bare: [], ours: [] };
  let lastOurs = '';
  // Azurite slows down as blobs pile up: keep only the containers the second runs need.
  const drop = async (name: string) => {
    if (name) await blobService.getContainerClient(name).deleteIfExists();
  };
  // One untimed round on a few files first: the first call of each path pays for JIT and sockets.
  for (let i = -1; i < repeats; i++) {
    const round = i < 0 ? paths.slice(0, 5) : paths;
    const roundFiles = i < 0 ? files.slice(0, 5) : files;
    // Alternate, so a change of load on the machine touches every variant alike.
    for (const variant of VARIANTS) {
      const name = `bench-${tag}-${variant}-${Date.now().toString(36)}-${i < 0 ? 'warm' : i}`;
      const container = blobService.getContainerClient(name);
      const t0 = performance.now();
      if (variant === 'bare') await bareUpload(container, round, concurrency);
      else if (variant === 'ours') {
        // Its container first, as the run does (the bare loop creates its own, timed too).
        const summary = await inActivity(async () => {
          await storage.ensureContainers({ names: [name] });
          return storage.uploadInputs({ dir, container: name, files: roundFiles });
        });
        if (summary.transferred !== roundFiles.length) {
          throw new Error(`uploadInputs sent ${summary.transferred} of ${roundFiles.length} files`);
        }
      }
      if (i < 0) {
        await drop(name);
        continue;
      }
      times[variant].push(performance.now() - t0);
      // Outside the timing: drop what the second runs will not need.
      if (variant === 'bare') {
        await drop(name);
      } else {
        await drop(lastOurs);
        lastOurs = name;
      }
    }
  }
  const t0 = performance.now();
  const again = await inActivity(() => storage.uploadInputs({ dir, container: lastOurs, files }));
  const againMs = performance.now() - t0;
  await drop(lastOurs);
  const medians = { bare: median(times.bare), ours: median(times.ours) };
  return {
    bytes: files.reduce((n, f) => n + f.size, 0),
    medians,
    runsMs: { bare: times.bare.map(round), ours: times.ours.map(round) },
    again: { ms: round(againMs), ...again },
  };
}

export async function benchUpload(
  env: BenchEnv,
  sizes: BenchSizes['p4'],
  say: (s: string) => void,
) {
  const paths = makeRandomFiles(env.scratch('p4-files'), sizes.files, sizes.fileBytes);
  say(`P4: ${sizes.repeats} rounds of bare, then ours (${sizes.files} x ${sizes.fileBytes} B)`);
  const measured = await measure(env, () =>
    rounds(env, paths, sizes.concurrency, sizes.repeats, 'big'),
  );
  const big = measured.value;
  const mb = big.bytes / (1024 * 1024);
  const mbps = (ms: number) => Math.round((mb / (ms / 1000)) * 10) / 10;
  say(`P4: the same with ${sizes.tinyFiles} tiny files (requests, not bytes)`);
  const tinyPaths = makeTinyFiles(env.scratch('p4-tiny'), sizes.tinyFiles);
  const tiny = await rounds(env, tinyPaths, sizes.concurrency, sizes.repeats, 'tiny');
  const filesPerS = (ms: number) => Math.round(sizes.tinyFiles / (ms / 1000));
  const resumed = await benchResumedUpload(env, sizes.resumeFileBytes, say);
  const ours = big.medians.ours;
  return {
    files: sizes.files,
    fileBytes: sizes.fileBytes,
    concurrency: sizes.concurrency,
    ratio: ratio(big.medians.bare, ours),
    oursMBps: mbps(ours),
    bareMBps: mbps(big.medians.bare),
    runsMs: big.runsMs,
    resentBytes: big.again.bytes,
    secondRun: big.again,
    /** Bytes sent beyond the big file's size when cancelled halfway and resumed / its size. */
    resumedResentFraction: resumed.resentFraction,
    resumed,
    target: P4_TARGET,
    met: {
      ratio: big.medians.bare / ours >= P4_TARGET.ratioMin,
      resentBytes: big.again.bytes === P4_TARGET.resentBytes,
      resumedResentFraction: resumed.met,
    },
    /** Share of the machine other processes used during the 1 MB rounds (0-1). */
    othersCpu: measured.othersCpu,
    profile: {
      tinyFiles: {
        files: sizes.tinyFiles,
        filesPerSecond: { bare: filesPerS(tiny.medians.bare), ours: filesPerS(tiny.medians.ours) },
        ratio: ratio(tiny.medians.bare, tiny.medians.ours),
        runsMs: tiny.runsMs,
      },
    },
  };
}

export type P4Figures = Awaited<ReturnType<typeof benchUpload>>;
