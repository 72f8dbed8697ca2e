// Activity stubs for one run: every call carries its own summary for the Web UI, and the
// retry policy stops on the failure types no retry can fix.
import {
  ActivityCancellationType,
  proxyActivities,
  type ActivityOptions,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { NON_RETRYABLE_ERROR_TYPES, type TranscodePlan } from '../../transcode';

const retry: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
};

function activities(options: ActivityOptions) {
  return proxyActivities<Activities>({ retry, ...options });
}

/** `longSettled`: a long step that, once cancelled, settles only when its attempt has ended. */
export type StubKind = 'quick' | 'long' | 'longSettled';

export interface ActivityStubs {
  /** Short Azure calls: a lost response times out quickly and is retried (idempotently). */
  quick: (summary: string) => Activities;
  /**
   * A quick call that, once cancelled, still settles only when its attempt has ended: for a
   * request that creates something, so that nothing runs after it (cleanup) while it is on its
   * way.
   */
  quickSettled: (summary: string) => Activities;
  /** Transfers and bulk adds: heartbeats make a dead worker's attempt retry promptly. */
  long: (summary: string) => Activities;
  /** A long step that writes something: settles only when its attempt has ended, once cancelled. */
  longSettled: (summary: string) => Activities;
  /**
   * Either kind on another task queue (a host's, for the folder steps), failing with a
   * ScheduleToStart timeout (never retried) when no worker there picks it up within `waitMs`.
   */
  onQueue: (taskQueue: string, kind: StubKind, summary: string, waitMs: number) => Activities;
}

/** The same options, but once cancelled the call settles only when its attempt has ended. */
function settled(options: ActivityOptions): ActivityOptions {
  return { ...options, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED };
}

export function activityStubs(plan: TranscodePlan): ActivityStubs {
  const quick: ActivityOptions = {
    startToCloseTimeout: plan.polling.callTimeoutMs,
    scheduleToCloseTimeout: '30 minutes',
  };
  const long: ActivityOptions = {
    startToCloseTimeout: '4 hours',
    heartbeatTimeout: plan.polling.heartbeatTimeoutMs,
    scheduleToCloseTimeout: '8 hours',
  };
  const options: Record<StubKind, ActivityOptions> = { quick, long, longSettled: settled(long) };
  return {
    quick: (summary) => activities({ ...quick, summary }),
    quickSettled: (summary) => activities({ ...settled(quick), summary }),
    long: (summary) => activities({ ...long, summary }),
    longSettled: (summary) => activities({ ...options.longSettled, summary }),
    onQueue: (taskQueue, kind, summary, waitMs) =>
      activities({ ...options[kind], taskQueue, scheduleToStartTimeout: waitMs, summary }),
  };
}
