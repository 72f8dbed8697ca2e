// The Azure Batch ffmpeg tutorial as one durable workflow: inspect → (upload ‖ pool) → job →
// tasks → durable wait → results → cleanup. Every step is a retryable activity; cleanup runs
// in a non-cancellable scope on success, failure and cancellation alike.
import {
  ApplicationFailure,
  CancellationScope,
  ContinueAsNew,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { PoolStatus } from '../../activities/batch';
import type { VerifiedOutputs } from '../../activities/storage';
import { NON_RETRYABLE_ERROR_TYPES } from './error-types';
import { planTranscode, type TranscodeInput, type TranscodePlan } from './input';
import { approveCleanupSignal, cancelSignal, progressQuery } from './messages';
import {
  firstPoolPollIntervalMs,
  nextPoolPollIntervalMs,
  nextTaskPollIntervalMs,
  type TaskPollObservation,
} from './polling';
import { renderDetails } from './details';
import { batchJobIdKey, batchPoolIdKey, transcodePhaseKey } from '../search-attributes';
import {
  emptyCounts,
  type FailedTask,
  type Phase,
  type Progress,
  type TaskCounts,
} from './progress';
import { duplicateOutputs, planTasks, type InputFile, type TaskPlan } from './task-plan';

export interface TranscodeResult {
  status: 'succeeded' | 'partially-failed' | 'failed' | 'cancelled' | 'timed-out';
  message: string;
  counts: TaskCounts;
  outputContainer: string;
  /** Outputs stored and verified. */
  outputCount: number;
  outputBytes: number;
  /** The first 100 of them by name (a large run's full list would swell the history). */
  outputs: Array<{ name: string; size: number }>;
  missingOutputs: string[];
  failedTasks: FailedTask[];
  unfinishedTasks: string[];
  downloaded?: { dir: string; files: number; bytes: number };
  resources: { created: string[]; deleted: string[]; kept: string[] };
  phaseMs: Progress['phaseMs'];
  totalMs: number;
}

/** What continue-as-new carries into the next run of the same workflow. */
export interface CarriedState {
  plan: TranscodePlan;
  files: InputFile[];
  progress: Progress;
  created: Created;
  pollIntervalMs: number;
  /** The last task-counts poll, so the next run keeps the completion rate. */
  lastTaskPoll?: TaskPollObservation;
  poolPollIntervalMs?: number;
  startedAtMs: number;
  cleanupDecision?: Progress['cleanup']['decision'];
}

interface Created {
  inputContainer: boolean;
  pool: boolean;
  job: boolean;
}

const retry: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
};

function activities(options: ActivityOptions) {
  return proxyActivities<Activities>({ retry, ...options });
}

/** Activity stubs for one run, each call with its own summary for the Web UI. */
function stubs(plan: TranscodePlan) {
  return {
    /** Short Azure calls: a lost response times out quickly and is retried (idempotently). */
    quick: (summary: string) =>
      activities({
        startToCloseTimeout: plan.polling.callTimeoutMs,
        scheduleToCloseTimeout: '30 minutes',
        summary,
      }),
    /** Transfers and bulk adds: heartbeats make a dead worker's attempt retry promptly. */
    long: (summary: string) =>
      activities({
        startToCloseTimeout: '4 hours',
        heartbeatTimeout: plan.polling.heartbeatTimeoutMs,
        scheduleToCloseTimeout: '8 hours',
        summary,
      }),
  };
}

class TranscodeRun {
  readonly quick: ReturnType<typeof stubs>['quick'];
  readonly long: ReturnType<typeof stubs>['long'];
  readonly progress: Progress;
  readonly created: Created;
  files: InputFile[] = [];
  tasks: TaskPlan[] = [];
  pollIntervalMs: number;
  lastTaskPoll?: TaskPollObservation;
  poolPollIntervalMs: number;
  startedAtMs: number;
  cleanupDecision?: Progress['cleanup']['decision'];
  private phaseStartedMs = Date.now();

  constructor(
    readonly input: TranscodeInput,
    readonly plan: TranscodePlan,
    carried?: CarriedState,
  ) {
    ({ quick: this.quick, long: this.long } = stubs(plan));
    this.startedAtMs = carried?.startedAtMs ?? Date.now();
    this.created = carried?.created ?? { inputContainer: false, pool: false, job: false };
    this.pollIntervalMs = carried?.pollIntervalMs ?? plan.polling.minIntervalMs;
    this.lastTaskPoll = carried?.lastTaskPoll;
    this.poolPollIntervalMs = carried?.poolPollIntervalMs ?? firstPoolPollIntervalMs(plan.polling);
    this.cleanupDecision = carried?.cleanupDecision;
    this.progress = carried?.progress ?? {
      workflowId: plan.workflowId,
      phase: 'validating',
      status: 'running',
      files: 0,
      inputBytes: 0,
      pool: { id: plan.pool.id, created: false, reused: plan.pool.reuse, nodeStates: {} },
      job: { id: plan.jobId, created: false, terminated: false },
      tasks: { total: 0, added: 0, counts: emptyCounts() },
      failures: [],
      unfinishedTasks: [],
      phaseMs: {},
      startedAt: new Date(this.startedAtMs).toISOString(),
      updatedAt: new Date().toISOString(),
      polls: 0,
      continuedAsNew: 0,
      cleanup: { policy: plan.cleanup.policy, deleted: [], kept: [] },
    };
    if (carried) {
      this.files = carried.files;
      this.tasks = planTasks(carried.files, plan.extension, plan.commandTemplate);
    }
  }

  enter(phase: Phase): void {
    const now = Date.now();
    const previous = this.progress.phase;
    this.progress.phaseMs[previous] =
      (this.progress.phaseMs[previous] ?? 0) + (now - this.phaseStartedMs);
    this.phaseStartedMs = now;
    this.progress.phase = phase;
    this.touch();
    if (previous !== phase) {
      this.publish();
      log.info('phase', { phase });
    }
  }

  touch(): void {
    this.progress.updatedAt = new Date().toISOString();
    setCurrentDetails(renderDetails(this.progress));
  }

  /** Search attributes, only when the starter set them (so the server has them registered). */
  publish(): void {
    if (workflowInfo().typedSearchAttributes.get(transcodePhaseKey) === undefined) return;
    upsertSearchAttributes([
      { key: transcodePhaseKey, value: this.progress.phase },
      { key: batchPoolIdKey, value: this.plan.pool.id },
      { key: batchJobIdKey, value: this.plan.jobId },
    ]);
  }

  carry(): CarriedState {
    // Close the current phase's clock so time is not lost across runs.
    this.enter(this.progress.phase);
    return {
      plan: this.plan,
      files: this.files,
      progress: { ...this.progress, continuedAsNew: this.progress.continuedAsNew + 1 },
      created: this.created,
      pollIntervalMs: this.pollIntervalMs,
      lastTaskPoll: this.lastTaskPoll,
      poolPollIntervalMs: this.poolPollIntervalMs,
      startedAtMs: this.startedAtMs,
      cleanupDecision: this.cleanupDecision,
    };
  }
}

export async function transcodeWorkflow(
  input: TranscodeInput,
  carried?: CarriedState,
): Promise<TranscodeResult> {
  let plan: TranscodePlan;
  try {
    const info = workflowInfo();
    plan = carried?.plan ?? planTranscode(info.workflowId, input, info.firstExecutionRunId);
  } catch (err) {
    throw ApplicationFailure.create({
      type: 'InvalidInput',
      message: err instanceof Error ? err.message : String(err),
      nonRetryable: true,
    });
  }
  const run = new TranscodeRun(input, plan, carried);
  const main = new CancellationScope();

  setHandler(progressQuery, () => run.progress, {
    description: 'Phase, task counts, failures, resource ids and time per phase.',
  });
  setHandler(
    cancelSignal,
    (args) => {
      run.progress.cancelReason ??= args?.reason ?? 'cancelled by signal';
      main.cancel();
    },
    {
      description:
        'Stop the run: terminate the Batch job, then clean up per the policy. Args: {reason}',
    },
  );
  setHandler(
    approveCleanupSignal,
    (args) => {
      run.cleanupDecision = {
        deleteJob: args?.deleteJob ?? true,
        deletePool: args?.deletePool ?? true,
        by: 'signal',
      };
      run.touch();
    },
    {
      description:
        'Decide the cleanup: {deleteJob, deletePool} (both default true; false keeps that resource).',
    },
  );
  if (run.progress.cancelReason) main.cancel();

  let failure: unknown;
  let timedOut = false;
  try {
    timedOut = await main.run(() => runSteps(run));
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    failure = err;
    // Stop whatever else the steps started (e.g. the pool wait beside a failed upload).
    main.cancel();
  }

  const workflowCancelled = isCancellation(failure) && !run.progress.cancelReason;
  if (isCancellation(failure)) {
    run.progress.cancelReason ??= 'workflow cancelled';
    run.progress.status = 'cancelled';
  } else if (failure) {
    run.progress.status = 'failed';
    run.progress.error = failureMessage(failure);
  } else if (timedOut) {
    run.progress.status = 'timed-out';
  }

  const result = await CancellationScope.nonCancellable(() => finish(run, timedOut));
  if (workflowCancelled || (failure && !isCancellation(failure))) {
    log.warn('run ended', { status: run.progress.status, error: run.progress.error });
    if (workflowCancelled) throw failure;
    // Surface the root cause (not "Activity task failed") now that nothing is left behind.
    const root = rootCause(failure);
    throw ApplicationFailure.create({
      type: root instanceof ApplicationFailure && root.type ? root.type : 'TranscodeFailed',
      message: root instanceof Error ? root.message : String(root),
      nonRetryable: true,
      cause: failure instanceof Error ? failure : undefined,
    });
  }
  return result;
}

/** The innermost cause: the activity's own error rather than "Activity task failed". */
function rootCause(err: unknown): unknown {
  let current = err;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current;
}

function failureMessage(err: unknown): string {
  const root = rootCause(err);
  return root instanceof Error ? root.message : String(root);
}

/** The steps up to the end of the durable wait; true when the timeout passed. */
async function runSteps(run: TranscodeRun): Promise<boolean> {
  // A run continued as new resumes in the wait its predecessor was in.
  if (run.progress.phase === 'running') return await waitForTasks(run);
  if (run.progress.phase === 'waiting-for-pool') await waitForPool(run);
  else await prepareAndSubmit(run);
  // The timeout is for the tasks, as in the tutorial: it starts once they can run.
  run.progress.tasksDeadline = new Date(Date.now() + run.plan.timeoutMs).toISOString();
  run.enter('running');
  return await waitForTasks(run);
}

/**
 * Preflight and inspection, then two branches: the pool (created, then polled until it has a
 * usable node) and the upload followed by the job and its tasks. Batch queues tasks on a pool
 * that is still allocating, so on Azure the minutes of allocation cover the upload and the
 * submit. Returns when the tasks are added and the pool is usable.
 */
async function prepareAndSubmit(run: TranscodeRun): Promise<void> {
  const { plan } = run;
  run.enter('preparing');
  // A wrong key must fail the run before anything is created, not after the upload.
  await run.quick('Check Azure access').checkAccess();
  run.files =
    plan.source.kind === 'local'
      ? await run
          .quick(`Inspect ${plan.source.kind === 'local' ? plan.source.dir : ''}`)
          .inspectLocalInput({ dir: plan.source.dir, pattern: plan.source.pattern })
      : await run
          .quick(`Inspect blobs in ${plan.source.kind === 'blob' ? plan.source.container : ''}`)
          .inspectBlobInput(plan.source);
  const duplicates = duplicateOutputs(run.files, plan.extension);
  if (duplicates.length > 0) {
    throw ApplicationFailure.create({
      type: 'InvalidInput',
      nonRetryable: true,
      message: `Two inputs would write the same output: ${duplicates.join('; ')}. Rename one of them.`,
    });
  }
  run.progress.files = run.files.length;
  run.progress.inputBytes = run.files.reduce((sum, f) => sum + f.size, 0);
  run.tasks = planTasks(run.files, plan.extension, plan.commandTemplate);

  run.enter('uploading');
  const poolCreated = createPool(run);
  let poolUsable = false;
  const poolReady = poolCreated.then(() => waitForPool(run)).then(() => (poolUsable = true));
  const submitted = upload(run)
    .then(() => poolCreated)
    .then(() => submitTasks(run))
    .then(() => {
      if (!poolUsable) run.enter('waiting-for-pool');
    });
  await Promise.all([poolReady, submitted]);
}

async function submitTasks(run: TranscodeRun): Promise<void> {
  const { plan } = run;
  run.enter('creating-job');
  run.created.job = true; // attempted: cleanup checks ownership and tolerates absence
  await run.quick(`Create job ${plan.jobId}`).createJobIfAbsent({
    jobId: plan.jobId,
    poolId: plan.pool.id,
    ownerWorkflowId: plan.owner,
  });
  run.progress.job.created = true;

  run.enter('adding-tasks');
  run.progress.tasks.total = run.tasks.length;
  const added = await run.long(`Add ${run.tasks.length} tasks`).addTasks({
    jobId: plan.jobId,
    files: run.files,
    extension: plan.extension,
    commandTemplate: plan.commandTemplate,
    inputContainer: plan.inputContainer,
    outputContainer: plan.outputContainer,
    sasValidForMs: plan.timeoutMs + 2 * 3600_000,
  });
  run.progress.tasks.added = added.added + added.alreadyExisted;
}

async function upload(run: TranscodeRun): Promise<void> {
  const { plan } = run;
  if (plan.ownsInputContainer) run.created.inputContainer = true;
  await run.quick('Create containers').ensureContainers({
    names: plan.ownsInputContainer
      ? [plan.inputContainer, plan.outputContainer]
      : [plan.outputContainer],
  });
  if (plan.source.kind === 'local') {
    await run.long(`Upload ${run.files.length} files`).uploadInputs({
      dir: plan.source.dir,
      container: plan.inputContainer,
      files: run.files,
    });
  }
}

async function createPool(run: TranscodeRun): Promise<void> {
  const { plan } = run;
  if (!plan.pool.reuse) {
    run.created.pool = true; // attempted: cleanup checks ownership and tolerates absence
    await run.quick(`Create pool ${plan.pool.id}`).createPoolIfAbsent({
      pool: {
        id: plan.pool.id,
        vmSize: plan.pool.vmSize,
        dedicatedNodes: plan.pool.dedicatedNodes,
        lowPriorityNodes: plan.pool.lowPriorityNodes,
        taskSlotsPerNode: plan.pool.taskSlotsPerNode,
        image: plan.pool.image,
        startTaskCommand: plan.pool.startTaskCommand,
      }, // only what Batch needs: the history records this input
      ownerWorkflowId: plan.owner,
    });
    run.progress.pool.created = true;
  }
}

/** Durable wait until the pool is steady with a usable node; fails fast on resize errors. */
async function waitForPool(run: TranscodeRun): Promise<void> {
  const { plan } = run;
  const deadline = Date.now() + plan.pool.allocationTimeoutMs;
  for (let poll = 1; ; poll++) {
    const status: PoolStatus = await run
      .quick(`Pool status, poll ${poll}`)
      .getPoolStatus({ poolId: plan.pool.id });
    run.progress.pool.allocationState = status.allocationState;
    run.progress.pool.nodeStates = status.nodeStates;
    run.touch();
    if (!status.exists) {
      throw ApplicationFailure.create({
        type: 'NotFound',
        nonRetryable: true,
        message: `Pool ${plan.pool.id} does not exist${plan.pool.reuse ? ': check pool.existingPoolId' : ''}.`,
      });
    }
    if (status.allocationState === 'steady' && status.resizeErrors.length > 0) {
      throw ApplicationFailure.create({
        type: 'PoolResizeError',
        nonRetryable: true,
        message:
          `Pool ${plan.pool.id} could not get its nodes: ` +
          status.resizeErrors.map((e) => `${e.code}: ${e.message}`).join('; ') +
          ' (a quota? ask for more cores or lower the node counts)',
      });
    }
    const usable = (status.nodeStates.idle ?? 0) + (status.nodeStates.running ?? 0);
    if (usable > 0) return;
    const nodes = Object.values(status.nodeStates).reduce((a, b) => a + b, 0);
    const broken = (status.nodeStates.starttaskfailed ?? 0) + (status.nodeStates.unusable ?? 0);
    if (status.allocationState === 'steady' && nodes > 0 && broken === nodes) {
      throw ApplicationFailure.create({
        type: 'PoolUnusable',
        nonRetryable: true,
        message:
          `Every node of pool ${plan.pool.id} failed its start task (${broken} node(s)): ` +
          'check pool.startTaskCommand; the node start-task logs say why.',
      });
    }
    if (Date.now() >= deadline) {
      throw ApplicationFailure.create({
        type: 'PoolUnusable',
        nonRetryable: true,
        message: `Pool ${plan.pool.id} had no usable node after ${plan.pool.allocationTimeoutMs / 60_000} min.`,
      });
    }
    await sleep(run.poolPollIntervalMs, { summary: `Wait for pool, poll ${poll}` });
    run.poolPollIntervalMs = nextPoolPollIntervalMs(run.poolPollIntervalMs, plan.polling);
    // Only once the tasks are added beside this wait: the next run resumes here, not before.
    if (run.progress.phase === 'waiting-for-pool') await continueAsNewIfLong(run);
  }
}

/** One taskcounts request per poll, a timer between polls; continue-as-new keeps history small. */
async function waitForTasks(run: TranscodeRun): Promise<boolean> {
  const { plan, progress } = run;
  const deadline = Date.parse(progress.tasksDeadline ?? new Date().toISOString());
  for (;;) {
    const counts = await run
      .quick(`Task counts, poll ${progress.polls + 1}`)
      .getTaskCounts({ jobId: plan.jobId });
    progress.polls++;
    progress.tasks.counts = counts;
    run.touch();
    if (counts.completed >= progress.tasks.total) return false;
    const now = Date.now();
    if (now >= deadline) return true;
    const current = { atMs: now, completed: counts.completed };
    run.pollIntervalMs = nextTaskPollIntervalMs({
      previousIntervalMs: run.pollIntervalMs,
      previous: run.lastTaskPoll,
      current,
      total: progress.tasks.total,
      bounds: plan.polling,
    });
    run.lastTaskPoll = current;
    await sleep(Math.min(run.pollIntervalMs, deadline - now), {
      summary: `Wait for tasks, poll ${progress.polls}`,
    });
    await continueAsNewIfLong(run);
  }
}

/** Continues as new once the history is long; the next run resumes in the current phase. */
async function continueAsNewIfLong(run: TranscodeRun): Promise<void> {
  const info = workflowInfo();
  if (!info.continueAsNewSuggested && info.historyLength < run.plan.polling.maxHistoryEvents) {
    return;
  }
  await condition(allHandlersFinished);
  await continueAsNew<typeof transcodeWorkflow>(run.input, run.carry());
}

/** Results, outputs and cleanup; runs whatever happened before. */
async function finish(run: TranscodeRun, timedOut: boolean): Promise<TranscodeResult> {
  const { plan, progress } = run;
  let verified: VerifiedOutputs = { count: 0, bytes: 0, first: [], missing: [] };
  let downloaded: TranscodeResult['downloaded'];
  const ranTasks = progress.tasks.added > 0;
  const stopped = progress.status === 'cancelled' || progress.status === 'failed' || timedOut;
  if (run.created.job && stopped) {
    // Stop the tasks first, so the results below are final.
    await step(run, 'terminate job', async () => {
      run.enter('cleaning-up');
      const reason = progress.cancelReason ? 'UserCancel' : timedOut ? 'Timeout' : 'WorkflowFailed';
      await run.quick(`Terminate job ${plan.jobId}`).terminateJob({ jobId: plan.jobId, reason });
      progress.job.terminated = true;
    });
  }

  if (ranTasks) {
    await step(run, 'collect results', async () => {
      run.enter('collecting');
      const results = await run
        .quick('Collect task results')
        .collectTaskResults({ jobId: plan.jobId });
      const inputOf = new Map(run.tasks.map((t) => [t.taskId, t.inputBlob]));
      for (const failed of results.failed)
        failed.inputBlob = inputOf.get(failed.taskId) ?? failed.taskId;
      progress.failures = results.failed;
      progress.unfinishedTasks = results.unfinished;
      const failedOrUnfinished = new Set([
        ...results.failed.map((f) => f.taskId),
        ...results.unfinished,
      ]);
      const expected = run.tasks
        .filter((t) => !failedOrUnfinished.has(t.taskId))
        .map((t) => t.outputBlob);
      verified = await run.quick(`Verify ${expected.length} outputs`).verifyOutputs({
        container: plan.outputContainer,
        names: expected,
      });
      if (plan.downloadDir && verified.count > 0) {
        run.enter('downloading');
        const missing = new Set(verified.missing);
        const summary = await run.long(`Download ${verified.count} outputs`).downloadOutputs({
          container: plan.outputContainer,
          names: expected.filter((name) => !missing.has(name)),
          dir: plan.downloadDir,
        });
        downloaded = { dir: plan.downloadDir, files: summary.files, bytes: summary.bytes };
      }
    });
  }

  await cleanup(run);

  if (progress.status === 'running') {
    progress.status =
      progress.failures.length > 0 || verified.missing.length > 0
        ? 'partially-failed'
        : 'succeeded';
  }
  run.enter('done');
  const counts = progress.tasks.counts;
  const message = summarize(progress, verified.count, verified.missing.length);
  return {
    status: progress.status,
    message,
    counts,
    outputContainer: plan.outputContainer,
    outputCount: verified.count,
    outputBytes: verified.bytes,
    outputs: verified.first,
    missingOutputs: verified.missing,
    failedTasks: progress.failures,
    unfinishedTasks: progress.unfinishedTasks,
    downloaded,
    resources: {
      created: [
        ...(progress.pool.created ? [`pool ${plan.pool.id}`] : []),
        ...(progress.job.created ? [`job ${plan.jobId}`] : []),
        ...(run.created.inputContainer ? [`container ${plan.inputContainer}`] : []),
      ],
      deleted: progress.cleanup.deleted,
      kept: progress.cleanup.kept,
    },
    phaseMs: progress.phaseMs,
    totalMs: Date.now() - run.startedAtMs,
  };
}

function summarize(progress: Progress, outputs: number, missing: number): string {
  const total = progress.tasks.total;
  switch (progress.status) {
    case 'cancelled':
      return `Cancelled (${progress.cancelReason}); ${outputs} of ${total} outputs stored.`;
    case 'timed-out':
      return `Timed out with ${progress.unfinishedTasks.length} of ${total} task(s) unfinished; ${outputs} outputs stored.`;
    case 'failed':
      return `Failed: ${progress.error}`;
    default:
      return (
        `${outputs} of ${total} file(s) converted` +
        (progress.failures.length ? `; ${progress.failures.length} task(s) failed` : '') +
        (missing ? `; ${missing} output(s) missing` : '') +
        '.'
      );
  }
}

/** A cleanup or result step: logged and recorded if it fails, never stopping the others. */
async function step(run: TranscodeRun, what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    log.error(`${what} failed`, { error: failureMessage(err) });
    run.progress.error ??= `${what} failed: ${failureMessage(err)}`;
  }
}

async function cleanup(run: TranscodeRun): Promise<void> {
  const { plan, progress, created } = run;
  run.enter('cleaning-up');
  if (created.inputContainer) {
    await step(run, 'delete input container', async () => {
      await run
        .quick(`Delete container ${plan.inputContainer}`)
        .deleteContainer({ name: plan.inputContainer });
      progress.cleanup.deleted.push(`container ${plan.inputContainer}`);
    });
  }
  if (!created.job && !created.pool) return;

  let decision = run.cleanupDecision;
  if (
    !decision &&
    plan.cleanup.policy === 'ask' &&
    progress.tasksDeadline === undefined &&
    progress.status === 'failed'
  ) {
    // Failed before any task could run (e.g. the pool got no node): there is nothing to
    // inspect, so do not keep a pool waiting for a decision.
    const remove = plan.cleanup.defaultDecision === 'delete';
    decision = { deleteJob: remove, deletePool: remove, by: 'default' };
  }
  if (!decision && plan.cleanup.policy !== 'ask') {
    const remove = plan.cleanup.policy === 'always';
    decision = { deleteJob: remove, deletePool: remove, by: 'policy' };
  }
  if (!decision) {
    progress.cleanup.decisionDeadline = new Date(
      Date.now() + plan.cleanup.decisionTimeoutMs,
    ).toISOString();
    run.enter('awaiting-cleanup-decision');
    await condition(() => run.cleanupDecision !== undefined, plan.cleanup.decisionTimeoutMs, {
      summary: 'Wait for the cleanup decision (approveCleanup)',
    });
    const remove = plan.cleanup.defaultDecision === 'delete';
    decision = run.cleanupDecision ?? { deleteJob: remove, deletePool: remove, by: 'default' };
    run.enter('cleaning-up');
  }
  progress.cleanup.decision = decision;

  if (created.job) {
    if (decision.deleteJob) {
      await step(run, 'delete job', async () => {
        if (
          await run
            .quick(`Delete job ${plan.jobId}`)
            .deleteJob({ jobId: plan.jobId, ownerWorkflowId: plan.owner })
        ) {
          progress.cleanup.deleted.push(`job ${plan.jobId}`);
        }
      });
    } else progress.cleanup.kept.push(`job ${plan.jobId}`);
  }
  if (created.pool) {
    if (decision.deletePool) {
      await step(run, 'delete pool', async () => {
        if (
          await run
            .quick(`Delete pool ${plan.pool.id}`)
            .deletePool({ poolId: plan.pool.id, ownerWorkflowId: plan.owner })
        ) {
          progress.cleanup.deleted.push(`pool ${plan.pool.id}`);
        }
      });
    } else progress.cleanup.kept.push(`pool ${plan.pool.id}`);
  }
}
