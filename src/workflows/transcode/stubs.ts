// Activity stubs for one run: every call carries its own summary for the Web UI, and the
// retry policy stops on the failure types no retry can fix.
import { proxyActivities, type ActivityOptions, type RetryPolicy } from '@temporalio/workflow';
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

export interface ActivityStubs {
  /** Short Azure calls: a lost response times out quickly and is retried (idempotently). */
  quick: (summary: string) => Activities;
  /** Transfers and bulk adds: heartbeats make a dead worker's attempt retry promptly. */
  long: (summary: string) => Activities;
}

export function activityStubs(plan: TranscodePlan): ActivityStubs {
  return {
    quick: (summary) =>
      activities({
        startToCloseTimeout: plan.polling.callTimeoutMs,
        scheduleToCloseTimeout: '30 minutes',
        summary,
      }),
    long: (summary) =>
      activities({
        startToCloseTimeout: '4 hours',
        heartbeatTimeout: plan.polling.heartbeatTimeoutMs,
        scheduleToCloseTimeout: '8 hours',
        summary,
      }),
  };
}
