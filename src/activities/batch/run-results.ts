// A run's results from its manifest: which task converted which file, what failed, which
// outputs are stored. The workflow gets counts and the first few of each list; the full lists
// go into a blob beside the manifest (the claim check again), so history stays small.
import { Context } from '@temporalio/activity';
import { statusOf, toActivityFailure } from '../errors';
import { listBlobs, readKeptLogTail, writeManifest, type VerifiedOutputs } from '../storage';
import {
  RESULTS_LISTED,
  type FailedTask,
  type ManifestRef,
  type ResultEntry,
} from '../../transcode';
import type { BatchClients } from './clients';
import { plannedTaskChunks } from './planned-tasks';
import { listTaskOutcomes, type KeptLogs } from './results';

export interface RunResults {
  succeeded: number;
  /** The first RESULTS_LISTED failed tasks, with the file each converted. */
  failed: FailedTask[];
  failedCount: number;
  unfinished: string[];
  unfinishedCount: number;
  /** Counts, and the first RESULTS_LISTED outputs and missing outputs by name. */
  verified: VerifiedOutputs;
  missingCount: number;
  /** Every output, failure and gap, when a list above was cut short. */
  list?: ManifestRef;
}

export function createRunResultActivities({ batch, storage }: BatchClients) {
  const { blobService } = storage;

  /** Every blob of the output container by name, with its size: one listing, in pages. */
  async function outputSizes(container: string, beat: () => void): Promise<Map<string, number>> {
    const sizes = new Map<string, number>();
    try {
      for await (const blob of listBlobs(blobService.getContainerClient(container))) {
        sizes.set(blob.name, blob.properties.contentLength ?? 0);
        // Throttled by the SDK: a long listing (a hundred thousand outputs) keeps the activity alive.
        beat();
      }
    } catch (err) {
      if (statusOf(err) !== 404) toActivityFailure(err, `list output container ${container}`);
    }
    return sizes;
  }

  return {
    /**
     * The tasks' results matched to the manifest's files and the outputs stored; the full
     * lists written to `listBlob` when longer than a result names (idempotent: same name, same
     * content). Heartbeats as it goes, so a large job's collection is not mistaken for a dead
     * worker.
     */
    async collectRunResults(args: {
      jobId: string;
      manifest: ManifestRef;
      extension: string;
      commandTemplate: string;
      outputContainer: string;
      listBlob: { container: string; blobName: string };
      /** Where the failed tasks' logs were kept (older histories did not send it). */
      logsPrefix?: string;
    }): Promise<RunResults> {
      const beat = () => Context.current().heartbeat();
      const { logsPrefix, outputContainer } = args;
      const kept: KeptLogs | undefined = logsPrefix
        ? {
            folderOf: (taskId) => `${logsPrefix}/${taskId}`,
            tail: (blobName, maxBytes) =>
              readKeptLogTail(blobService, outputContainer, blobName, maxBytes),
          }
        : undefined;
      // Batch and storage answer side by side: the task listing and the output listing.
      const [outcomes, sizes] = await Promise.all([
        listTaskOutcomes(batch, args.jobId, beat, kept),
        outputSizes(args.outputContainer, beat),
      ]);
      beat();
      const failedById = new Map(outcomes.failed.map((f) => [f.taskId, f]));
      const unfinished = new Set(outcomes.unfinished);

      const verified: VerifiedOutputs = { count: 0, bytes: 0, first: [], missing: [] };
      const outputs: Array<{ name: string; size: number }> = [];
      const missing: string[] = [];
      for await (const tasks of plannedTaskChunks(blobService, { manifest: args.manifest }, args)) {
        for (const task of tasks) {
          const failure = failedById.get(task.taskId);
          if (failure) failure.inputBlob = task.inputBlob;
          if (failure || unfinished.has(task.taskId)) continue;
          const size = sizes.get(task.outputBlob);
          if (size === undefined) {
            missing.push(task.outputBlob);
            continue;
          }
          verified.count++;
          verified.bytes += size;
          outputs.push({ name: task.outputBlob, size });
        }
        beat();
      }
      verified.first = outputs.slice(0, RESULTS_LISTED);
      verified.missing = missing.slice(0, RESULTS_LISTED);

      const cut =
        outputs.length > RESULTS_LISTED ||
        missing.length > RESULTS_LISTED ||
        outcomes.failed.length > RESULTS_LISTED ||
        outcomes.unfinished.length > RESULTS_LISTED;
      const entries = function* (): Iterable<ResultEntry> {
        for (const output of outputs) yield { kind: 'output', ...output };
        for (const name of missing) yield { kind: 'missing', name };
        for (const failure of outcomes.failed) yield { kind: 'failed', ...failure };
        for (const taskId of outcomes.unfinished) yield { kind: 'unfinished', taskId };
      };
      const list = cut ? await writeManifest(blobService, args.listBlob, entries()) : undefined;
      return {
        succeeded: outcomes.succeeded,
        failed: outcomes.failed.slice(0, RESULTS_LISTED),
        failedCount: outcomes.failed.length,
        unfinished: outcomes.unfinished.slice(0, RESULTS_LISTED),
        unfinishedCount: outcomes.unfinished.length,
        verified,
        missingCount: missing.length,
        list,
      };
    },
  };
}
