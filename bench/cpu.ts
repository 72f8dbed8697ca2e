// Where the CPU went during a run: each process of the stack read from /proc/<pid>/stat, its
// own time and its reaped children's (for the emulator, the task processes it ran), and how much
// of the machine the other processes on it (other people's tests) and the hypervisor (steal)
// took meanwhile.
import fs from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export interface CpuTimes {
  selfMs: number;
  childrenMs: number;
}

/** `others`: processes measured on their own, whose CPU a parent's count leaves out. */
export function cpuOf(pid: number | undefined, others: ReadonlySet<number> = new Set()): CpuTimes {
  try {
    // After "pid (comm) ", fields start at 3 (state): utime 14, stime 15, cutime 16, cstime 17.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat
      .slice(stat.lastIndexOf(') ') + 2)
      .split(' ')
      .map(Number);
    const ms = (ticks: number) => (ticks * 1000) / TICKS_PER_SECOND;
    return {
      selfMs: ms(f[11] + f[12]),
      childrenMs: ms(f[13] + f[14]) + liveChildrenMs(pid, others),
    };
  } catch {
    return { selfMs: 0, childrenMs: 0 };
  }
}

/**
 * CPU of a process's children still running, with theirs: a long-lived child (the emulator's
 * task launcher) reaps the tasks, so their time reaches the parent only when it exits.
 */
function liveChildrenMs(pid: number | undefined, others: ReadonlySet<number>): number {
  let total = 0;
  for (const child of childPids(pid)) {
    if (others.has(child)) continue;
    const times = cpuOf(child, others);
    total += times.selfMs + times.childrenMs;
  }
  return total;
}

/** The processes `pid` started that still run, from /proc (every thread's children). */
export function childPids(pid: number | undefined): number[] {
  const children: number[] = [];
  try {
    for (const thread of fs.readdirSync(`/proc/${pid}/task`)) {
      const list = fs.readFileSync(`/proc/${pid}/task/${thread}/children`, 'utf8');
      children.push(...list.split(' ').filter(Boolean).map(Number));
    }
  } catch {
    // Gone meanwhile, or no such file on this kernel: what was read counts.
  }
  return children;
}

/**
 * Busy, stolen and total CPU time of the whole machine so far, in ms (all cores), from
 * /proc/stat. Stolen time is the hypervisor's (another guest ran on our core): counted apart
 * from busy, as no process here used it.
 */
function machineMs(): { busyMs: number; stealMs: number; totalMs: number } {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const ticks = fields.slice(1).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = ticks[3] + (ticks[4] ?? 0);
  const steal = ticks[7] ?? 0;
  const ms = (n: number) => (n * 1000) / TICKS_PER_SECOND;
  return { busyMs: ms(total - idle - steal), stealMs: ms(steal), totalMs: ms(total) };
}

/**
 * Snapshots named processes now; `since()` gives the CPU each used after that, in ms, and
 * `othersShare()` the share of the machine that processes not named here used meanwhile.
 */
export class CpuMeter {
  private readonly start: Record<string, CpuTimes>;
  private readonly machineStart = machineMs();

  /** The named processes: a parent (the bench, which started the stack) counts none of them. */
  private readonly named: ReadonlySet<number>;

  constructor(readonly pids: Record<string, number | undefined>) {
    this.named = new Set(Object.values(pids).filter((pid) => pid !== undefined));
    this.start = Object.fromEntries(
      Object.entries(pids).map(([name, pid]) => [name, cpuOf(pid, this.named)]),
    );
  }

  /**
   * Share of all cores (0-1) that other processes used since the start: the machine's busy
   * time minus ours (named processes and the children they reaped). Above about 0.1 the figures
   * taken meanwhile were disturbed.
   */
  othersShare(): number {
    const machine = machineMs();
    const busy = machine.busyMs - this.machineStart.busyMs;
    const ours = Object.values(this.since()).reduce((n, c) => n + c.selfMs + c.childrenMs, 0);
    return this.shareOf(machine, busy - ours);
  }

  /** Share of all cores (0-1) the hypervisor gave to other guests since the start (steal). */
  stealShare(): number {
    const machine = machineMs();
    return this.shareOf(machine, machine.stealMs - this.machineStart.stealMs);
  }

  private shareOf(machine: { totalMs: number }, ms: number): number {
    const total = machine.totalMs - this.machineStart.totalMs;
    if (total <= 0) return 0;
    return Math.round(Math.min(1, Math.max(0, ms / total)) * 100) / 100;
  }

  since(): Record<string, { selfMs: number; childrenMs: number }> {
    return Object.fromEntries(
      Object.entries(this.pids).map(([name, pid]) => {
        const now = cpuOf(pid, this.named);
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

/** CPU per process added over several measurements, for a mean per measurement. */
export class CpuSum {
  private readonly total: Record<string, number> = {};

  add(cpu: Record<string, { selfMs: number; childrenMs: number }>): void {
    for (const [name, c] of Object.entries(cpu)) {
      this.total[name] = (this.total[name] ?? 0) + c.selfMs + c.childrenMs;
    }
  }

  mean(count: number): Record<string, number> {
    return Object.fromEntries(
      Object.entries(this.total).map(([name, ms]) => [name, Math.round(ms / Math.max(1, count))]),
    );
  }
}
