// Sample inputs like the tutorial's five LowPriVMs-N.mp4: a few seconds of ffmpeg's test
// pattern and a tone each, H.264 + AAC, made locally so nothing is downloaded.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function makeClip(file: string, seconds: number, frequency = 440): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.partial.mp4`;
  await run('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc=duration=${seconds}:size=320x240:rate=15`,
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=${frequency}:duration=${seconds}`,
    '-shortest',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-c:a',
    'aac',
    partial,
  ]);
  fs.renameSync(partial, file);
}

/** Makes `count` clips named LowPriVMs-1.mp4 … in dir, keeping any already there. */
export async function makeSampleClips(dir: string, count = 5, seconds = 4): Promise<string[]> {
  const files: string[] = [];
  for (let i = 1; i <= count; i++) {
    const file = path.join(dir, `LowPriVMs-${i}.mp4`);
    if (!fs.existsSync(file)) await makeClip(file, seconds, 220 * i);
    files.push(file);
  }
  return files;
}

/** Duration in seconds and whether there is an audio stream, as ffprobe reads the file. */
export async function probe(
  file: string,
): Promise<{ seconds: number; audio: boolean; video: boolean }> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'format=duration:stream=codec_type',
    '-of',
    'json',
    file,
  ]);
  const parsed = JSON.parse(stdout) as {
    format?: { duration?: string };
    streams?: Array<{ codec_type?: string }>;
  };
  const types = (parsed.streams ?? []).map((s) => s.codec_type);
  return {
    seconds: Number(parsed.format?.duration ?? NaN),
    audio: types.includes('audio'),
    video: types.includes('video'),
  };
}
