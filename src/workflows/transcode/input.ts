// The transcode workflow's input: its shape, its defaults (the tutorial's), and one validation
// that lists every problem. Pure code: used by the workflow, the client and the tests.

export type CleanupPolicy = 'ask' | 'always' | 'never';
export type CleanupDecision = 'delete' | 'keep';

export interface ImageSpec {
  publisher: string;
  offer: string;
  sku: string;
  version: string;
  nodeAgentSkuId: string;
}

export interface TranscodeInput {
  /** Files to convert: a folder on the worker's machine, or blobs already uploaded. */
  input: {
    localDir?: string;
    /** An existing container holding the inputs (then never deleted by this workflow). */
    blobContainer?: string;
    blobPrefix?: string;
    /** Glob on file names (not paths): `*`, `?`, `[abc]`. Default `*.mp4`. */
    pattern?: string;
  };
  output?: {
    /** Output extension without the dot. Default `mp3`. */
    extension?: string;
    /** Command run per file; `{input}` and `{output}` are replaced by safe local file names. */
    commandTemplate?: string;
    /** Download the outputs to this folder on the worker's machine. */
    downloadDir?: string;
    /** Output container; default derived from the workflow id. */
    container?: string;
  };
  pool?: {
    /** Default derived from the workflow id. */
    id?: string;
    /** Use this existing pool instead of creating one; it is never deleted. */
    existingPoolId?: string;
    vmSize?: string;
    dedicatedNodes?: number;
    lowPriorityNodes?: number;
    taskSlotsPerNode?: number;
    image?: Partial<ImageSpec>;
    startTaskCommand?: string;
    /** How long the pool may take to reach steady with a usable node. Default 20 min. */
    allocationTimeoutMinutes?: number;
  };
  job?: { id?: string };
  /** How long the tasks may run, as in the tutorial. Default 30 min. */
  timeoutMinutes?: number;
  cleanup?: {
    policy?: CleanupPolicy;
    /** With policy `ask`: how long to wait for `approveCleanup`. Default 60 min. */
    decisionTimeoutMinutes?: number;
    /** With policy `ask`: what happens when nobody decides. Default `delete`. */
    defaultDecision?: CleanupDecision;
  };
  polling?: {
    /** Shortest wait between two polls. Default 0.25 s. */
    minIntervalSeconds?: number;
    /** Longest wait between two polls. Default 15 s. */
    maxIntervalSeconds?: number;
    /**
     * Continue-as-new once a run's history has this many events (or when the server suggests
     * it). Default 400: a run stays under 500 events with room for the results and cleanup.
     */
    maxHistoryEvents?: number;
    /** Time limit of one Azure call before it is retried. Default 30 s. */
    callTimeoutSeconds?: number;
    /** A transfer or bulk add that stops heartbeating this long is retried elsewhere. Default 30 s. */
    heartbeatTimeoutSeconds?: number;
  };
}

export const DEFAULT_POLLING = {
  minIntervalSeconds: 0.25,
  maxIntervalSeconds: 15,
  maxHistoryEvents: 400,
} as const;

export const DEFAULT_IMAGE: ImageSpec = {
  publisher: 'canonical',
  offer: 'ubuntu-24_04-lts',
  sku: 'server',
  version: 'latest',
  nodeAgentSkuId: 'batch.node.ubuntu 24.04',
};

export const DEFAULT_START_TASK = '/bin/bash -c "apt-get update && apt-get install -y ffmpeg"';
export const DEFAULT_COMMAND_TEMPLATE =
  '/bin/bash -c "ffmpeg -hide_banner -nostdin -y -i {input} {output}"';

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
  cleanup: { policy: CleanupPolicy; decisionTimeoutMs: number; defaultDecision: CleanupDecision };
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

/** FNV-1a, so derived ids are short, stable and need no Node crypto (workflow-safe). */
export function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36).padStart(7, '0');
}

/** A Batch id (letters, digits, hyphen, underscore, ≤ 64) derived from any text, stable. */
export function deriveBatchId(prefix: string, text: string): string {
  const clean = text.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  const candidate = `${prefix}-${clean}`;
  if (candidate.length <= 64 && clean === text) return candidate;
  // Changed or too long: keep it readable and make it unique with a hash of the original.
  return `${prefix}-${clean.slice(0, 64 - prefix.length - 10)}-${shortHash(text)}`;
}

/** A blob container name (3-63 lower-case letters, digits, single hyphens) derived from text. */
export function deriveContainerName(text: string, suffix: string): string {
  const clean = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `${clean.slice(0, 63 - suffix.length - 10)}-${shortHash(text)}-${suffix}`.replace(
    /^-+/,
    '',
  );
}

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
  const input: TranscodeInput = raw && typeof raw === 'object' ? raw : { input: {} };
  if (!raw || typeof raw !== 'object') problems.push('the input must be a JSON object');
  const src = input.input ?? {};
  const pattern = src.pattern ?? '*.mp4';
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
  const extension = out.extension ?? 'mp3';
  if (typeof extension !== 'string' || !/^[A-Za-z0-9]{1,10}$/.test(extension)) {
    problems.push(
      `output.extension must be 1-10 letters or digits, without a dot (got ${JSON.stringify(extension)})`,
    );
  }
  const commandTemplate = out.commandTemplate ?? DEFAULT_COMMAND_TEMPLATE;
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
  const dedicated = pool.dedicatedNodes ?? 0;
  const lowPriority = pool.lowPriorityNodes ?? 5;
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

  const cleanup = input.cleanup ?? {};
  const policy = cleanup.policy ?? 'ask';
  if (!['ask', 'always', 'never'].includes(policy)) {
    problems.push(`cleanup.policy must be ask, always or never (got ${JSON.stringify(policy)})`);
  }
  const defaultDecision = cleanup.defaultDecision ?? 'delete';
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

  if (problems.length > 0) throw new InvalidInputError(problems);

  const unique = runKey ? `${workflowId}-${shortHash(runKey)}` : workflowId;
  const poolId = pool.existingPoolId ?? pool.id ?? deriveBatchId('pool', unique);
  const minIntervalMs = (polling.minIntervalSeconds ?? DEFAULT_POLLING.minIntervalSeconds) * 1000;
  return {
    workflowId,
    source: src.localDir
      ? { kind: 'local', dir: src.localDir, pattern }
      : { kind: 'blob', container: src.blobContainer!, prefix: src.blobPrefix ?? '', pattern },
    owner: runKey ? `${workflowId}/${runKey}` : workflowId,
    inputContainer: src.blobContainer ?? deriveContainerName(unique, 'input'),
    outputContainer: out.container ?? deriveContainerName(unique, 'output'),
    ownsInputContainer: !src.blobContainer,
    extension: extension.toLowerCase(),
    commandTemplate,
    downloadDir: out.downloadDir,
    pool: {
      id: poolId,
      reuse: pool.existingPoolId !== undefined,
      vmSize: pool.vmSize ?? 'STANDARD_A1_v2',
      dedicatedNodes: dedicated,
      lowPriorityNodes: lowPriority,
      taskSlotsPerNode: pool.taskSlotsPerNode ?? 1,
      image: { ...DEFAULT_IMAGE, ...pool.image },
      startTaskCommand: pool.startTaskCommand ?? DEFAULT_START_TASK,
      allocationTimeoutMs: (pool.allocationTimeoutMinutes ?? 20) * 60_000,
    },
    jobId: job.id ?? deriveBatchId('job', unique),
    timeoutMs: (input.timeoutMinutes ?? 30) * 60_000,
    cleanup: {
      policy,
      decisionTimeoutMs: (cleanup.decisionTimeoutMinutes ?? 60) * 60_000,
      defaultDecision,
    },
    polling: {
      minIntervalMs,
      maxIntervalMs: Math.max(
        minIntervalMs,
        (polling.maxIntervalSeconds ?? DEFAULT_POLLING.maxIntervalSeconds) * 1000,
      ),
      maxHistoryEvents: polling.maxHistoryEvents ?? DEFAULT_POLLING.maxHistoryEvents,
      callTimeoutMs: (polling.callTimeoutSeconds ?? 30) * 1000,
      heartbeatTimeoutMs: (polling.heartbeatTimeoutSeconds ?? 30) * 1000,
    },
  };
}
