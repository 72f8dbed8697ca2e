// The job: created once on the pool, terminated to end its tasks, deleted when this workflow
// owns it.
import { codeOf, toActivityFailure } from '../errors';
import type { BatchClients } from './clients';
import { createOwned, deleteOwned } from './owner';

export function createJobActivities({ batch }: BatchClients) {
  return {
    /** Creates the job on the pool unless our own job exists. */
    async createJobIfAbsent(args: {
      jobId: string;
      poolId: string;
      ownerWorkflowId: string;
    }): Promise<{ created: boolean }> {
      await createOwned('Job', args.jobId, args.ownerWorkflowId, 'choose another job.id', {
        add: (metadata) =>
          batch.job.add({ id: args.jobId, poolInfo: { poolId: args.poolId }, metadata }),
        get: () => batch.job.get(args.jobId, { jobGetOptions: { select: 'id,state,metadata' } }),
      });
      return { created: true };
    },

    /** Ends the job's active and running tasks; a job already ended or gone is fine. */
    async terminateJob(args: { jobId: string; reason: string }): Promise<void> {
      try {
        await batch.job.terminate(args.jobId, { terminateReason: args.reason.slice(0, 64) });
      } catch (err) {
        const code = codeOf(err);
        if (
          code === 'JobNotFound' ||
          code === 'JobCompleted' ||
          code === 'JobBeingTerminated' ||
          code === 'JobBeingDeleted'
        )
          return;
        toActivityFailure(err, `terminate job ${args.jobId}`);
      }
    },

    /** Deletes the job if this workflow owns it; true when a delete was sent. */
    deleteJob(args: { jobId: string; ownerWorkflowId: string }): Promise<boolean> {
      return deleteOwned('Job', args.jobId, args.ownerWorkflowId, {
        get: () => batch.job.get(args.jobId, { jobGetOptions: { select: 'id,state,metadata' } }),
        remove: () => batch.job.deleteMethod(args.jobId),
      });
    },
  };
}
