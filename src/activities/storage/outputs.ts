// The outputs: which of those expected the tasks wrote, and a download of them to a folder on
// this worker.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { statusOf, toActivityFailure } from '../errors';
import type { ManifestRef, ResultEntry } from '../../transcode';
import type { StorageClients } from './clients';
import { listBlobs } from './containers';
import { readWholeManifest } from './manifest';
import { transferEach, type TransferSummary } from './transfer';

/** Outputs found in the output container; only the first few are listed by name. */
export interface VerifiedOutputs {
  count: number;
  bytes: number;
  /** The first OUTPUTS_LISTED outputs present, in the order asked. */
  first: Array<{ name: string; size: number }>;
  missing: string[];
}

/** How many outputs a result lists by name: the rest are counted (history stays small). */
export const OUTPUTS_LISTED = 100;

export function createOutputActivities(clients: StorageClients) {
  const { blobService } = clients;

  return {
    /** Which of the expected output blobs exist (one listing, whatever the count). */
    async verifyOutputs(args: { container: string; names: string[] }): Promise<VerifiedOutputs> {
      const sizes = new Map<string, number>();
      try {
        for await (const blob of listBlobs(blobService.getContainerClient(args.container))) {
          sizes.set(blob.name, blob.properties.contentLength ?? 0);
        }
      } catch (err) {
        if (statusOf(err) !== 404)
          toActivityFailure(err, `list output container ${args.container}`);
      }
      // Counts and a sample, not the whole list: the result is stored in the workflow's history.
      const verified: VerifiedOutputs = { count: 0, bytes: 0, first: [], missing: [] };
      for (const name of args.names) {
        const size = sizes.get(name);
        if (size === undefined) {
          verified.missing.push(name);
          continue;
        }
        verified.count++;
        verified.bytes += size;
        if (verified.first.length < OUTPUTS_LISTED) verified.first.push({ name, size });
      }
      return verified;
    },

    /** Downloads outputs to a folder on this worker, skipping files already there with the same size. */
    async downloadOutputs(args: {
      container: string;
      /** The outputs to download by name, or (a large run) the results list naming them. */
      names?: string[];
      list?: ManifestRef;
      /** The outputs an incremental run reused (stored before it), listed by its selection. */
      reused?: ManifestRef;
      dir: string;
    }): Promise<TransferSummary> {
      const outputsOf = async (list: ManifestRef) =>
        (await readWholeManifest<ResultEntry>(blobService, list)).flatMap((entry) =>
          entry.kind === 'output' ? [entry.name] : [],
        );
      const names = [
        ...(args.list ? await outputsOf(args.list) : (args.names ?? [])),
        ...(args.reused ? await outputsOf(args.reused) : []),
      ];
      await fsp.mkdir(args.dir, { recursive: true });
      const container = blobService.getContainerClient(args.container);
      return transferEach('download', names, clients.concurrency, async (name, state) => {
        const target = path.join(args.dir, path.basename(name));
        const blob = container.getBlobClient(name);
        try {
          const props = await blob.getProperties();
          const existing = await fsp.stat(target).catch(() => undefined);
          if (existing && existing.size === props.contentLength) {
            state.skipped++;
            return;
          }
          // Into a temporary name first, so a killed worker never leaves half a file behind.
          const partial = `${target}.partial`;
          await blob.downloadToFile(partial, 0, undefined, {
            abortSignal: Context.current().cancellationSignal,
          });
          await fsp.rename(partial, target);
          state.bytes += props.contentLength ?? 0;
          state.transferred++;
        } catch (err) {
          toActivityFailure(err, `download ${name}`);
        }
      });
    },
  };
}
