// Signals and the query of the transcode workflow: clients and the workflow import them from here.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Progress } from './progress';

export interface ApproveCleanupArgs {
  /** Delete the job this run created (default true). */
  deleteJob?: boolean;
  /** Delete the pool this run created (default true). */
  deletePool?: boolean;
}

export interface CancelArgs {
  reason?: string;
}

export const approveCleanupSignal = defineSignal<[ApproveCleanupArgs?]>('approveCleanup');
export const cancelSignal = defineSignal<[CancelArgs?]>('cancel');
export const progressQuery = defineQuery<Progress>('progress');
