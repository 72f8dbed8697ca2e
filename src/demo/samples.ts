// Sample inputs like the tutorial's five LowPriVMs-N.mp4: a few seconds of ffmpeg's test
// pattern and a tone each, H.264 + AAC, made locally so nothing is downloaded.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { tutorialClipPath } from '../config';

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

export type ClipSource = "the tutorial's LowPriVMs-4.mp4" | 'a generated 2-minute stand-in';

/**
 * Puts the tutorial's own 2-minute clip at `file` when this machine has it (see
 * tutorialClipPath), else a generated clip of the same length; says which.
 */
export async function tutorialClip(file: string): Promise<ClipSource> {
  const real = tutorialClipPath();
  if (real) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.copyFileSync(real, file);
    return "the tutorial's LowPriVMs-4.mp4";
  }
  await makeClip(file, 120, 880);
  return 'a generated 2-minute stand-in';
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
