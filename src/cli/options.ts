// Command-line options of `client start` → the workflow's input.
import path from 'node:path';
import {
  TUTORIAL_DEFAULTS as D,
  type CleanupDecision,
  type CleanupPolicy,
  type TranscodeInput,
} from '../transcode';

export interface StartOptions {
  input?: string;
  /** The host id of the machine that has `input` (start.ts defaults it to this machine's). */
  inputHost?: string;
  blobContainer?: string;
  blobPrefix?: string;
  pattern?: string;
  extension?: string;
  command?: string;
  download?: string;
  outputContainer?: string;
  /** Convert every file, reusing no stored output. */
  force?: boolean;
  poolId?: string;
  existingPool?: string;
  vmSize?: string;
  dedicated?: number;
  lowPriority?: number;
  slotsPerNode?: number;
  jobId?: string;
  timeout?: number;
  cleanup?: CleanupPolicy;
  decisionTimeout?: number;
  defaultDecision?: CleanupDecision;
  /** Keep the pool's nodes while a cleanup decision is awaited (default: resized to 0). */
  keepNodesWhileWaiting?: boolean;
  /** Prices per node-hour and their currency, for the run's estimated cost. */
  priceDedicated?: number;
  priceSpot?: number;
  currency?: string;
  /** `N` tasks or `N%` of them. */
  maxFailures?: string;
  taskRetries?: number;
}

/** `--max-failures N` or `N%` → the input's limits; throws with what is wrong. */
export function parseMaxFailures(text: string): {
  maxFailedTasks?: number;
  maxFailedPercent?: number;
} {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text);
  if (!match) {
    throw new Error(
      `--max-failures must be a number of tasks (3) or a share of them (10%), not "${text}"`,
    );
  }
  const value = Number(match[1]);
  if (match[2]) {
    if (value > 100) throw new Error(`--max-failures ${text} is over 100%`);
    return { maxFailedPercent: value };
  }
  if (!Number.isInteger(value))
    throw new Error(`--max-failures ${text}: a number of tasks is whole`);
  return { maxFailedTasks: value };
}

/** The npm scripts that run the client and the demo (package.json). */
const OUR_SCRIPTS = new Set(['client', 'start']);

/**
 * A path given on the command line, made absolute from where the person typed it: `npm run`
 * runs a script in the project's root and names the folder it was typed in as INIT_CWD. Only
 * when npm ran this very script: a process started by another script inherits a stale one.
 */
export function commandLinePath(
  given: string,
  env: Record<string, string | undefined> = process.env,
): string {
  const typedIn =
    env.INIT_CWD && OUR_SCRIPTS.has(env.npm_lifecycle_event ?? '') ? env.INIT_CWD : process.cwd();
  return path.resolve(typedIn, given);
}

export function inputFromOptions(options: StartOptions): TranscodeInput {
  const input: TranscodeInput = {
    input: {
      localDir: options.input ? commandLinePath(options.input) : undefined,
      inputHost: options.inputHost,
      blobContainer: options.blobContainer,
      blobPrefix: options.blobPrefix,
      pattern: options.pattern,
    },
    output: {
      extension: options.extension,
      commandTemplate: options.command,
      downloadDir: options.download ? commandLinePath(options.download) : undefined,
      container: options.outputContainer,
    },
    pool: {
      id: options.poolId,
      existingPoolId: options.existingPool,
      vmSize: options.vmSize,
      dedicatedNodes: options.dedicated,
      lowPriorityNodes: options.lowPriority,
      taskSlotsPerNode: options.slotsPerNode,
    },
    job: { id: options.jobId },
    timeoutMinutes: options.timeout,
    force: options.force || undefined,
    failures: {
      ...(options.maxFailures ? parseMaxFailures(options.maxFailures) : {}),
      taskRetries: options.taskRetries,
    },
    cleanup: {
      policy: options.cleanup,
      decisionTimeoutMinutes: options.decisionTimeout,
      defaultDecision: options.defaultDecision,
      keepNodesWhileWaiting: options.keepNodesWhileWaiting || undefined,
    },
    cost: {
      dedicatedPerHour: options.priceDedicated,
      spotPerHour: options.priceSpot,
      currency: options.currency,
    },
  };
  return JSON.parse(JSON.stringify(input)) as TranscodeInput; // drop undefined keys
}

/** The input as Markdown for the Web UI's "Details" panel of the run. */
export function inputDetails(input: TranscodeInput): string {
  const source =
    input.input.localDir ?? `${input.input.blobContainer}/${input.input.blobPrefix ?? ''}`;
  const pool = input.pool?.existingPoolId
    ? `existing pool \`${input.pool.existingPoolId}\` (never deleted)`
    : `${input.pool?.dedicatedNodes ?? D.pool.dedicatedNodes} dedicated + ${input.pool?.lowPriorityNodes ?? D.pool.lowPriorityNodes} low-priority ` +
      `${input.pool?.vmSize ?? D.pool.vmSize} nodes`;
  return [
    `**Input:** \`${source}\` (${input.input.pattern ?? D.pattern})` +
      (input.input.inputHost ? ` on host \`${input.input.inputHost}\`` : ''),
    `**Output:** .${input.output?.extension ?? D.extension}` +
      (input.output?.downloadDir ? `, downloaded to \`${input.output.downloadDir}\`` : ''),
    `**Pool:** ${pool}`,
    `**Timeout:** ${input.timeoutMinutes ?? D.timeoutMinutes} min · **cleanup:** ${input.cleanup?.policy ?? D.cleanup.policy}`,
  ].join('\n\n');
}
