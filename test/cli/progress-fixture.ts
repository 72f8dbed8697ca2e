// A Progress as the workflow's query answers it, and a result as the run returns it, with only
// what a test cares about changed.
import type { Phase, Progress, TaskCounts, TranscodeResult } from '../../src/transcode';

export function progressOf(
  phase: Phase,
  options: {
    counts?: Partial<TaskCounts>;
    total?: number;
    nodeStates?: Record<string, number>;
    allocationState?: string;
    files?: number;
    inputBytes?: number;
  } = {},
): Progress {
  const total = options.total ?? 0;
  return {
    workflowId: 'wf-1',
    phase,
    status: 'running',
    files: options.files ?? 5,
    inputBytes: options.inputBytes ?? 5 * 1024 * 1024,
    pool: {
      id: 'pool-1',
      created: true,
      reused: false,
      allocationState: options.allocationState,
      nodeStates: options.nodeStates ?? {},
    },
    job: { id: 'job-1', created: total > 0, terminated: false },
    tasks: {
      total,
      added: total,
      counts: { active: 0, running: 0, completed: 0, succeeded: 0, failed: 0, ...options.counts },
    },
    failures: [],
    unfinishedTasks: [],
    phaseMs: {},
    startedAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:01.000Z',
    polls: 0,
    continuedAsNew: 0,
    cleanup: {
      policy: 'ask',
      deleted: [],
      kept: [],
      decisionDeadline:
        phase === 'awaiting-cleanup-decision' ? '2026-01-01T00:30:00.000Z' : undefined,
    },
  };
}

/** A run's result: every task succeeded unless `changes` says otherwise. */
export function resultOf(changes: Partial<TranscodeResult> = {}): TranscodeResult {
  return {
    status: 'succeeded',
    message: '5 of 5 file(s) converted.',
    counts: { active: 0, running: 0, completed: 5, succeeded: 5, failed: 0 },
    outputContainer: 'out',
    outputCount: 5,
    outputBytes: 50,
    outputs: [],
    missingOutputs: [],
    failedTasks: [],
    unfinishedTasks: [],
    resources: { created: [], deleted: [], kept: [] },
    phaseMs: {},
    totalMs: 1000,
    ...changes,
  };
}
