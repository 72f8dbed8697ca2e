// How busy the machine is apart from us: the bench runs on 2 shared cores where other test runs
// come and go, so each section records the CPU the rest of the machine used just before it.
import fs from 'node:fs';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LoadSample {
  /** Share of all cores busy during the sample (0-1), while this bench was idle. */
  busy: number;
  loadavg1: number;
  underLoad: boolean;
}

function cpuTimes(): { busy: number; total: number } {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3] + (fields[4] ?? 0);
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** Busy share of the machine over `ms`; above 25 % of the cores counts as "under load". */
export async function sampleLoad(ms = 1000): Promise<LoadSample> {
  const a = cpuTimes();
  await sleep(ms);
  const b = cpuTimes();
  const busy = b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : 0;
  return {
    busy: Math.round(busy * 100) / 100,
    loadavg1: Math.round(os.loadavg()[0] * 100) / 100,
    underLoad: busy > 0.25,
  };
}
