// The input with every default filled in and every id derived, after one validation that lists
// every problem. Pure code: the workflow plans its run with it, the client checks its input.
// Over 300 lines on purpose: every field's rule sits here, beside the plan value it fills.
import { TUTORIAL_DEFAULTS as D } from './defaults';
import { deriveBatchId, deriveContainerName, shortHash } from './ids';
import { shapeProblems } from './schema';
import type { CleanupDecision, CleanupPolicy, ImageSpec, TranscodeInput } from './input';

/** The input with every default filled in and every id derived. */
export interface TranscodePlan {
  workflowId: string;
  /** Written in the metadata of every pool and job this run creates. */
  owner: string;
  source:
    | { kind: 'local'; dir: string; pattern: string }
    | { kind: 'blob'; container: string; prefix: string; pattern: string };
  inputContainer: string;
  outputContainer: string;
  /** True when the workflow creates (and so deletes) the input container. */
  ownsInputContainer: boolean;
  /** True when the output container's name is derived (not given): the run may remove it empty. */
  ownsOutputContainer: boolean;
  extension: string;
  commandTemplate: string;
  downloadDir?: string;
  pool: {
    id: string;
    reuse: boolean;
    vmSize: string;
    dedicatedNodes: number;
    lowPriorityNodes: number;
    taskSlotsPerNode: number;
    image: ImageSpec;
    startTaskCommand: string;
    allocationTimeoutMs: number;
  };
  jobId: string;
  timeoutMs: number;
  /** Convert every file, reusing no stored output (absent in plans carried by older runs). */
  force: boolean;
  failures: {
    /** Stop once more tasks than this have failed; the lower of the two limits, if any. */
    maxFailedTasks?: number;
    maxFailedPercent?: number;
    taskRetries: number;
  };
  cleanup: {
    policy: CleanupPolicy;
    decisionTimeoutMs: number;
    defaultDecision: CleanupDecision;
    /** Absent in plans of runs started before it existed: false. */
    keepNodesWhileWaiting?: boolean;
  };
  /** Prices per node-hour, when given. */
  cost?: { dedicatedPerHour?: number; spotPerHour?: number; currency: string };
  polling: {
    minIntervalMs: number;
    maxIntervalMs: number;
    maxHistoryEvents: number;
    callTimeoutMs: number;
    heartbeatTimeoutMs: number;
  };
}

export class InvalidInputError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid transcode input (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
    );
    this.name = 'InvalidInputError';
  }
}

const BATCH_ID = /^[A-Za-z0-9_-]{1,64}$/;
const CONTAINER = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;

function checkNumber(
  problems: string[],
  name: string,
  value: number | undefined,
  min: number,
  max: number,
  integer = true,
): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || Number.isNaN(value) || (integer && !Number.isInteger(value))) {
    problems.push(
      `${name} must be a${integer ? ' whole' : ''} number (got ${JSON.stringify(value)})`,
    );
  } else if (value < min || value > max) {
    problems.push(`${name} must be between ${min} and ${max} (got ${value})`);
  }
}

function checkBatchId(problems: string[], name: string, value: string | undefined): void {
  if (value !== undefined && !BATCH_ID.test(value)) {
    problems.push(
      `${name} ${JSON.stringify(value)} is not a valid Batch id: use at most 64 letters, digits, ` +
        'hyphens and underscores',
    );
  }
}

/** How many failed tasks a run of `total` tasks may have before it stops (none: no limit). */
export function failureLimit(plan: Pick<TranscodePlan, 'failures'>, total: number): number {
  const { maxFailedTasks, maxFailedPercent } = plan.failures;
  const byPercent =
    maxFailedPercent === undefined ? Infinity : Math.floor((total * maxFailedPercent) / 100);
  return Math.min(maxFailedTasks ?? Infinity, byPercent);
}

/**
 * Validates the input and fills in the defaults; throws InvalidInputError listing every problem.
 * `runKey` (the first run id of the workflow) makes derived names unique per run, so a later
 * run with the same workflow id never mistakes a pool kept by an earlier one for its own.
 */
export function planTranscode(
  workflowId: string,
  raw: TranscodeInput | undefined,
  runKey = '',
): TranscodePlan {
  const problems: string[] = [];
  const shape = shapeProblems(raw);
  const input: TranscodeInput =
    raw && typeof raw === 'object' && !Array.isArray(raw) ? raw : { input: {} };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push('the input must be a JSON object');
    shape.length = 0;
  }
  const src = input.input ?? {};
  const pattern = src.pattern ?? D.pattern;
  if (!src.localDir && !src.blobContainer) {
    problems.push('input.localDir (a folder on the worker) or input.blobContainer is required');
  }
  if (src.localDir && src.blobContainer) {
    problems.push('give input.localDir or input.blobContainer, not both');
  }
  if (
    src.localDir !== undefined &&
    (typeof src.localDir !== 'string' || !src.localDir.startsWith('/'))
  ) {
    problems.push(`input.localDir must be an absolute path (got ${JSON.stringify(src.localDir)})`);
  }
  if (src.blobContainer !== undefined && !CONTAINER.test(src.blobContainer)) {
    problems.push(
      `input.blobContainer ${JSON.stringify(src.blobContainer)} is not a valid container name`,
    );
  }
  if (typeof pattern !== 'string' || pattern.length === 0 || pattern.includes('/')) {
    problems.push(
      `input.pattern must be a file-name glob such as *.mp4 (got ${JSON.stringify(pattern)})`,
    );
  }

  const out = input.output ?? {};
  const extension = out.extension ?? D.extension;
  if (typeof extension !== 'string' || !/^[A-Za-z0-9]{1,10}$/.test(extension)) {
    problems.push(
      `output.extension must be 1-10 letters or digits, without a dot (got ${JSON.stringify(extension)})`,
    );
  }
  const commandTemplate = out.commandTemplate ?? D.commandTemplate;
  if (
    typeof commandTemplate !== 'string' ||
    !commandTemplate.includes('{input}') ||
    !commandTemplate.includes('{output}')
  ) {
    problems.push('output.commandTemplate must contain both {input} and {output}');
  }
  if (
    out.downloadDir !== undefined &&
    (typeof out.downloadDir !== 'string' || !out.downloadDir.startsWith('/'))
  ) {
    problems.push(
      `output.downloadDir must be an absolute path (got ${JSON.stringify(out.downloadDir)})`,
    );
  }
  if (out.container !== undefined && !CONTAINER.test(out.container)) {
    problems.push(
      `output.container ${JSON.stringify(out.container)} is not a valid container name`,
    );
  }

  const pool = input.pool ?? {};
  checkBatchId(problems, 'pool.id', pool.id);
  checkBatchId(problems, 'pool.existingPoolId', pool.existingPoolId);
  if (pool.id && pool.existingPoolId && pool.id !== pool.existingPoolId) {
    problems.push(
      'give pool.id (a pool to create) or pool.existingPoolId (a pool to reuse), not both',
    );
  }
  checkNumber(problems, 'pool.dedicatedNodes', pool.dedicatedNodes, 0, 1000);
  checkNumber(problems, 'pool.lowPriorityNodes', pool.lowPriorityNodes, 0, 1000);
  checkNumber(problems, 'pool.taskSlotsPerNode', pool.taskSlotsPerNode, 1, 256);
  checkNumber(
    problems,
    'pool.allocationTimeoutMinutes',
    pool.allocationTimeoutMinutes,
    0.1,
    1440,
    false,
  );
  const dedicated = pool.dedicatedNodes ?? D.pool.dedicatedNodes;
  const lowPriority = pool.lowPriorityNodes ?? D.pool.lowPriorityNodes;
  if (!pool.existingPoolId && dedicated + lowPriority === 0) {
    problems.push(
      'the pool needs at least one node: pool.dedicatedNodes + pool.lowPriorityNodes > 0',
    );
  }
  if (pool.vmSize !== undefined && !/^[A-Za-z0-9_]{1,64}$/.test(pool.vmSize)) {
    problems.push(
      `pool.vmSize ${JSON.stringify(pool.vmSize)} is not a VM size such as STANDARD_A1_v2`,
    );
  }

  const job = input.job ?? {};
  checkBatchId(problems, 'job.id', job.id);
  checkNumber(problems, 'timeoutMinutes', input.timeoutMinutes, 0.05, 7 * 24 * 60, false);
  const failures = input.failures ?? {};
  checkNumber(problems, 'failures.maxFailedTasks', failures.maxFailedTasks, 0, 10_000_000);
  checkNumber(problems, 'failures.maxFailedPercent', failures.maxFailedPercent, 0, 100, false);
  checkNumber(problems, 'failures.taskRetries', failures.taskRetries, -1, 100);

  const cleanup = input.cleanup ?? {};
  const policy: CleanupPolicy = cleanup.policy ?? D.cleanup.policy;
  if (!['ask', 'always', 'never'].includes(policy)) {
    problems.push(`cleanup.policy must be ask, always or never (got ${JSON.stringify(policy)})`);
  }
  const defaultDecision: CleanupDecision = cleanup.defaultDecision ?? D.cleanup.defaultDecision;
  if (!['delete', 'keep'].includes(defaultDecision)) {
    problems.push(
      `cleanup.defaultDecision must be delete or keep (got ${JSON.stringify(defaultDecision)})`,
    );
  }
  checkNumber(
    problems,
    'cleanup.decisionTimeoutMinutes',
    cleanup.decisionTimeoutMinutes,
    0,
    30 * 24 * 60,
    false,
  );

  const cost = input.cost ?? {};
  checkNumber(problems, 'cost.dedicatedPerHour', cost.dedicatedPerHour, 0, 1_000_000, false);
  checkNumber(problems, 'cost.spotPerHour', cost.spotPerHour, 0, 1_000_000, false);
  if (cost.currency !== undefined && !/^[A-Za-z]{3}$/.test(cost.currency)) {
    problems.push(
      `cost.currency ${JSON.stringify(cost.currency)} is not a currency code such as USD or EUR`,
    );
  }

  const polling = input.polling ?? {};
  checkNumber(problems, 'polling.minIntervalSeconds', polling.minIntervalSeconds, 0.05, 600, false);
  checkNumber(
    problems,
    'polling.maxIntervalSeconds',
    polling.maxIntervalSeconds,
    0.05,
    3600,
    false,
  );
  checkNumber(problems, 'polling.maxHistoryEvents', polling.maxHistoryEvents, 50, 50_000);
  checkNumber(problems, 'polling.callTimeoutSeconds', polling.callTimeoutSeconds, 1, 600, false);
  checkNumber(
    problems,
    'polling.heartbeatTimeoutSeconds',
    polling.heartbeatTimeoutSeconds,
    1,
    600,
    false,
  );

  // A field of the wrong type is reported once, by the shape check, not again as out of range.
  const wrongType = new Set(shape.map((p) => p.field));
  const rules = problems.filter((p) => !wrongType.has(/^[\w.]+/.exec(p)?.[0] ?? ''));
  const all = [...shape.map((p) => p.message), ...rules];
  if (all.length > 0) throw new InvalidInputError(all);

  const unique = runKey ? `${workflowId}-${shortHash(runKey)}` : workflowId;
  const poolId = pool.existingPoolId ?? pool.id ?? deriveBatchId('pool', unique);
  const minIntervalMs = (polling.minIntervalSeconds ?? D.polling.minIntervalSeconds) * 1000;
  return {
    workflowId,
    source: src.localDir
      ? { kind: 'local', dir: src.localDir, pattern }
      : { kind: 'blob', container: src.blobContainer!, prefix: src.blobPrefix ?? '', pattern },
    owner: runKey ? `${workflowId}/${runKey}` : workflowId,
    inputContainer: src.blobContainer ?? deriveContainerName(unique, 'input'),
    outputContainer: out.container ?? deriveContainerName(unique, 'output'),
    ownsInputContainer: !src.blobContainer,
    ownsOutputContainer: !out.container,
    extension: extension.toLowerCase(),
    commandTemplate,
    downloadDir: out.downloadDir,
    pool: {
      id: poolId,
      reuse: pool.existingPoolId !== undefined,
      vmSize: pool.vmSize ?? D.pool.vmSize,
      dedicatedNodes: dedicated,
      lowPriorityNodes: lowPriority,
      taskSlotsPerNode: pool.taskSlotsPerNode ?? D.pool.taskSlotsPerNode,
      image: { ...D.pool.image, ...pool.image },
      startTaskCommand: pool.startTaskCommand ?? D.pool.startTaskCommand,
      allocationTimeoutMs:
        (pool.allocationTimeoutMinutes ?? D.pool.allocationTimeoutMinutes) * 60_000,
    },
    jobId: job.id ?? deriveBatchId('job', unique),
    timeoutMs: (input.timeoutMinutes ?? D.timeoutMinutes) * 60_000,
    force: input.force ?? D.force,
    failures: {
      maxFailedTasks: failures.maxFailedTasks,
      maxFailedPercent: failures.maxFailedPercent,
      taskRetries: failures.taskRetries ?? D.failures.taskRetries,
    },
    cleanup: {
      policy,
      decisionTimeoutMs:
        (cleanup.decisionTimeoutMinutes ?? D.cleanup.decisionTimeoutMinutes) * 60_000,
      defaultDecision,
      keepNodesWhileWaiting: cleanup.keepNodesWhileWaiting ?? D.cleanup.keepNodesWhileWaiting,
    },
    cost:
      cost.dedicatedPerHour === undefined && cost.spotPerHour === undefined
        ? undefined
        : {
            dedicatedPerHour: cost.dedicatedPerHour,
            spotPerHour: cost.spotPerHour,
            currency: (cost.currency ?? D.cost.currency).toUpperCase(),
          },
    polling: {
      minIntervalMs,
      maxIntervalMs: Math.max(
        minIntervalMs,
        (polling.maxIntervalSeconds ?? D.polling.maxIntervalSeconds) * 1000,
      ),
      maxHistoryEvents: polling.maxHistoryEvents ?? D.polling.maxHistoryEvents,
      callTimeoutMs: (polling.callTimeoutSeconds ?? D.polling.callTimeoutSeconds) * 1000,
      heartbeatTimeoutMs:
        (polling.heartbeatTimeoutSeconds ?? D.polling.heartbeatTimeoutSeconds) * 1000,
    },
  };
}
