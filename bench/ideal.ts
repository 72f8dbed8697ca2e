// The ideal a run is measured against: the same ffmpeg command per file, run directly on this
// machine with `xargs -P <slots>`, no storage, no Batch, no orchestration.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Converts every file to MP3 in outDir with `xargs -0 -P parallel`, each file through the
 * workflow's own command (`/bin/bash -c "ffmpeg -hide_banner -nostdin -y -i IN OUT"`), stderr
 * to a file as on a Batch node. Returns the wall time in ms.
 */
export async function idealXargs(
  files: string[],
  outDir: string,
  parallel: number,
  /** The CPUs to run on (a taskset list), as the tasks compared with it; unset, any. */
  cpus?: string,
): Promise<number> {
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  const script =
    'f=${0##*/}; ffmpeg -hide_banner -nostdin -y -i "$0" "$OUT/${f%.*}.mp3" 2>"$OUT/${f%.*}.stderr.txt"';
  const started = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const xargs = ['xargs', '-0', '-n', '1', '-P', String(parallel), '/bin/bash', '-c', script];
    const [command, ...args] = cpus ? ['taskset', '-c', cpus, ...xargs] : xargs;
    const child = spawn(command, args, {
      env: { ...process.env, OUT: outDir },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`xargs exited ${code}: ${stderr}`)),
    );
    child.stdin.end(files.map((f) => `${f}\0`).join(''));
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const made = fs.readdirSync(outDir).filter((f) => f.endsWith('.mp3')).length;
  if (made !== files.length) throw new Error(`ideal made ${made} of ${files.length} MP3s`);
  for (const f of fs.readdirSync(outDir)) fs.rmSync(path.join(outDir, f));
  return ms;
}
