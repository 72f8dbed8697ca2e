// Where P1 runs the nodes' tasks: on Azure a node's tasks have the node's cores to themselves,
// while the Batch service, Storage, Temporal and the worker run on other machines. On one machine
// the stack's CPU would otherwise land on the cores the tasks fill, which no Azure run pays for.
// So the CPUs this process may use are split in two: the tasks (and the ideal they are compared
// with) on one part, everything else on the other.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { childPids } from './cpu';

export interface CpuSplit {
  /** Every CPU this process may use (a taskset list), to go back to. */
  all: string;
  /** Temporal, Azurite, the emulator's service, the worker and the bench. */
  stack: string;
  /** The task processes, and the ideal's ffmpeg runs. */
  nodes: string;
}

/** The CPU numbers of a list such as `0-3,6`. */
export function cpusOf(list: string): number[] {
  return list.split(',').flatMap((part) => {
    const [from, to = from] = part.split('-').map(Number);
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  });
}

/** Halves of `cpus` (the nodes get the larger half); undefined with fewer than two. */
export function splitCpus(cpus: number[]): CpuSplit | undefined {
  if (cpus.length < 2) return undefined;
  const stack = cpus.slice(0, Math.floor(cpus.length / 2));
  const nodes = cpus.slice(stack.length);
  return { all: cpus.join(','), stack: stack.join(','), nodes: nodes.join(',') };
}

/** This process's CPUs split in two, or undefined when there is one or no taskset. */
export function cpuSplit(): CpuSplit | undefined {
  const allowed = /^Cpus_allowed_list:\s*(\S+)$/m.exec(
    fs.readFileSync('/proc/self/status', 'utf8'),
  );
  const probe = spawnSync('taskset', ['--version']);
  if (!allowed || probe.error || probe.status !== 0) return undefined;
  return splitCpus(cpusOf(allowed[1]));
}

/** `pid` and every process below it (its children, theirs, ...), from /proc. */
export function processTree(pid: number): number[] {
  return [pid, ...childPids(pid).flatMap(processTree)];
}

/**
 * Moves this process and every process below it (a stack it started, with their helpers) to
 * `cpus`; processes started afterwards inherit them.
 */
export function pinThisProcessTree(cpus: string): void {
  for (const pid of processTree(process.pid)) pinProcess(pid, cpus);
}

/** Moves every thread of `pid` to `cpus`; the processes it starts afterwards inherit them. */
export function pinProcess(pid: number, cpus: string): void {
  const r = spawnSync('taskset', ['--all-tasks', '--cpu-list', '--pid', cpus, String(pid)], {
    encoding: 'utf8',
  });
  if (r.error || r.status !== 0) {
    throw new Error(
      `taskset could not move process ${pid} to CPUs ${cpus}: ${r.error?.message ?? r.stderr.trim()}`,
    );
  }
}
