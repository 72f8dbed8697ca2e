// The inputs, uploaded from a folder on this worker into the input container, skipping what is
// already stored with the same MD5.
import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { codeOf, toActivityFailure } from '../errors';
import {
  UPLOAD_DEFAULTS,
  type InputFile,
  type ManifestRef,
  type RunBlobRef,
} from '../../transcode';
import type { StorageClients } from './clients';
import { readWholeManifest } from './manifest';
import { md5OfFile, uploadInBlocks } from './block-upload';
import { recordedMd5 } from './file-stamp';
import { listBlobs } from './containers';
import { transferEach, type TransferSummary } from './transfer';
import { UploadProgressPublisher } from './upload-progress';

export function createUploadActivities(clients: StorageClients) {
  const { blobService } = clients;
  // Files up to singleShotBytes are read into memory once instead of streamed twice (hash, upload).
  const tuning = { ...UPLOAD_DEFAULTS, ...clients.upload };

  return {
    /**
     * Uploads the files, skipping any blob already stored with the same MD5; heartbeats a
     * watermark and the blocks of big files in progress, so a retried attempt resumes where the
     * last one stopped, a big file with the blocks it had not staged yet.
     */
    async uploadInputs(args: {
      dir: string;
      container: string;
      /** Runs from before the manifest: the file list itself. */
      files?: InputFile[];
      /** The file list as a manifest (the list of names is small beside the files it names). */
      manifest?: ManifestRef;
      /** Where to publish the watermark as it rises, for the tasks added meanwhile. */
      progress?: RunBlobRef;
    }): Promise<TransferSummary> {
      const files = args.manifest
        ? await readWholeManifest<InputFile>(blobService, args.manifest)
        : (args.files ?? []);
      // The container is the containers step's (ensureContainers, before this one). Were it
      // created here too, a create still on its way when a cancel's cleanup has deleted the
      // container would land after it and leave the container behind.
      const container = blobService.getContainerClient(args.container);
      // What is already stored, in one listing (not one request per file): name → MD5.
      const stored = new Map<string, Buffer>();
      try {
        for await (const blob of listBlobs(container)) {
          if (blob.properties.contentMD5)
            stored.set(blob.name, Buffer.from(blob.properties.contentMD5));
        }
      } catch (err) {
        if (codeOf(err) === 'ContainerNotFound') {
          throw ApplicationFailure.nonRetryable(
            `The input container ${args.container} does not exist: the run creates it before ` +
              'the upload, so it was deleted meanwhile (by a cancel, or by hand). Start the run again.',
            'InputContainerMissing',
          );
        }
        toActivityFailure(err, `list container ${args.container}`);
      }
      const publisher = args.progress && new UploadProgressPublisher(blobService, args.progress);
      const summary = await transferEach(
        'upload',
        files,
        clients.concurrency,
        async (file, state, progress) => {
          const local = path.join(args.dir, file.blobName);
          const blob = container.getBlockBlobClient(file.blobName);
          // The MD5 the selection step read the file for, while the file is unchanged since.
          const recorded = recordedMd5(file, await fsp.stat(local));
          const storedMd5 = stored.get(file.blobName);
          if (recorded && storedMd5?.equals(recorded)) {
            state.skipped++;
            return;
          }
          // Small files are read once and sent from memory in one Put Blob, for which the
          // service computes and stores the MD5 from the bytes it got: without a recorded MD5
          // they are hashed here only to compare with a blob of the same name. Big ones go up in
          // blocks, which store no MD5 unless it is given and whose ids derive from it, so they
          // need one before anything is sent.
          const small = file.size <= tuning.singleShotBytes || file.size === 0;
          const body = small ? await fsp.readFile(local) : undefined;
          const md5 =
            recorded ??
            (body
              ? storedMd5 && crypto.createHash('md5').update(body).digest()
              : await md5OfFile(local, progress));
          if (md5 && storedMd5?.equals(md5)) {
            state.skipped++;
            return;
          }
          const abortSignal = Context.current().cancellationSignal;
          try {
            if (body) {
              progress.sending(body.length);
              await blob.uploadData(body, {
                maxSingleShotSize: tuning.singleShotBytes,
                abortSignal,
              });
            } else {
              await uploadInBlocks(
                blob,
                { path: local, size: file.size, md5: md5 ?? (await md5OfFile(local, progress)) },
                { ...tuning, signal: abortSignal },
                progress,
              );
            }
          } catch (err) {
            // Cancelled: said as such, so the worker reports the activity cancelled, not failed.
            if (abortSignal.aborted)
              throw new CancelledFailure(`upload of ${file.blobName} cancelled`);
            toActivityFailure(err, `upload ${file.blobName}`);
          }
          state.transferred++;
          state.bytes += file.size;
        },
        (watermark) => publisher?.advance(watermark),
      ).catch(async (err: unknown) => {
        await publisher?.abandon();
        throw err;
      });
      await publisher?.finish(files.length);
      return summary;
    },
  };
}
