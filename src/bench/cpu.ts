// Where the CPU went during a run: each process of the stack read from /proc/<pid>/stat, its
// own time and its reaped children's (for the emulator, the task processes it ran).
import fs from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export interface CpuTimes {
  selfMs: number;
  childrenMs: number;
}

export function cpuOf(pid: number | undefined): CpuTimes {
  try {
    // After "pid (comm) ", fields start at 3 (state): utime 14, stime 15, cutime 16, cstime 17.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat
      .slice(stat.lastIndexOf(') ') + 2)
      .split(' ')
      .map(Number);
    const ms = (ticks: number) => (ticks * 1000) / TICKS_PER_SECOND;
    return { selfMs: ms(f[11] + f[12]), childrenMs: ms(f[13] + f[14]) };
  } catch {
    return { selfMs: 0, childrenMs: 0 };
  }
}

/** Snapshots named processes now; `since()` gives the CPU each used after that, in ms. */
export class CpuMeter {
  private readonly start: Record<string, CpuTimes>;

  constructor(private readonly pids: Record<string, number | undefined>) {
    this.start = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuOf(pid)]));
  }

  since(): Record<string, { selfMs: number; childrenMs: number }> {
    return Object.fromEntries(
      Object.entries(this.pids).map(([name, pid]) => {
        const now = cpuOf(pid);
        return [
          name,
          {
            selfMs: Math.round(now.selfMs - this.start[name].selfMs),
            childrenMs: Math.round(now.childrenMs - this.start[name].childrenMs),
          },
        ];
      }),
    );
  }
}
