// Input files for the benchmarks: clips made with the demo's own makeClip, tiny files for the
// scale run, random 1 MB files for the upload run.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { makeClip } from '../src/demo/samples';

/** `count` distinct clips of `seconds` (a tone of its own each), two ffmpeg processes at a time. */
export async function makeClips(dir: string, count: number, seconds: number): Promise<string[]> {
  const files = Array.from({ length: count }, (_, i) =>
    path.join(dir, `clip-${String(i + 1).padStart(4, '0')}.mp4`),
  );
  let next = 0;
  const runner = async () => {
    while (next < files.length) {
      const index = next++;
      await makeClip(files[index], seconds, 200 + 7 * index);
    }
  };
  await Promise.all([runner(), runner()]);
  return files;
}

/** `count` files of a few bytes each, `f-00000.bin` ... */
export function makeTinyFiles(dir: string, count: number): string[] {
  const width = Math.max(5, String(count - 1).length);
  return Array.from({ length: count }, (_, i) => {
    const file = path.join(dir, `f-${String(i).padStart(width, '0')}.bin`);
    fs.writeFileSync(file, `${i}\n`);
    return file;
  });
}

/** `count` files of `bytes` random bytes each (incompressible, all different). */
export function makeRandomFiles(dir: string, count: number, bytes: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const file = path.join(dir, `blob-${String(i).padStart(4, '0')}.dat`);
    fs.writeFileSync(file, crypto.randomBytes(bytes));
    return file;
  });
}
