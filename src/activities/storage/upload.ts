// The inputs, uploaded from a folder on this worker into the input container, skipping what is
// already stored with the same MD5.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { toActivityFailure } from '../errors';
import type { InputFile } from '../../transcode';
import type { StorageClients } from './clients';
import { listBlobs } from './containers';
import { transferEach, type TransferSummary } from './transfer';

/** Files up to this size are read into memory once instead of streamed twice (hash, upload). */
const SMALL_FILE_BYTES = 32 * 1024 * 1024;

async function md5OfFile(file: string): Promise<Buffer> {
  const hash = crypto.createHash('md5');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest();
}

export function createUploadActivities(clients: StorageClients) {
  const { blobService } = clients;

  return {
    /**
     * Uploads the files, skipping any blob already stored with the same MD5; heartbeats a
     * watermark so a retried attempt resumes where the last one stopped.
     */
    async uploadInputs(args: {
      dir: string;
      container: string;
      files: InputFile[];
    }): Promise<TransferSummary> {
      const container = blobService.getContainerClient(args.container);
      await container
        .createIfNotExists()
        .catch((err) => toActivityFailure(err, `create container ${args.container}`));
      // What is already stored, in one listing (not one request per file): name → MD5.
      const stored = new Map<string, Buffer>();
      try {
        for await (const blob of listBlobs(container)) {
          if (blob.properties.contentMD5)
            stored.set(blob.name, Buffer.from(blob.properties.contentMD5));
        }
      } catch (err) {
        toActivityFailure(err, `list container ${args.container}`);
      }
      return transferEach('upload', args.files, clients.concurrency, async (file, state) => {
        const local = path.join(args.dir, file.blobName);
        const blob = container.getBlockBlobClient(file.blobName);
        // Small files are read once and sent from memory in one Put Blob, for which the
        // service computes and stores the MD5 itself: they are hashed here only to compare
        // with a blob of the same name. Big ones may go up in blocks, which store no MD5
        // unless it is given, so they are always hashed first (streamed twice).
        const small = file.size <= SMALL_FILE_BYTES;
        const body = small ? await fsp.readFile(local) : undefined;
        const storedMd5 = stored.get(file.blobName);
        const md5 = !body
          ? await md5OfFile(local)
          : storedMd5
            ? crypto.createHash('md5').update(body).digest()
            : undefined;
        if (md5 && storedMd5?.equals(md5)) {
          state.skipped++;
          return;
        }
        const options = {
          blobHTTPHeaders: md5 ? { blobContentMD5: md5 } : {},
          maxSingleShotSize: SMALL_FILE_BYTES,
          concurrency: 4,
          abortSignal: Context.current().cancellationSignal,
        };
        try {
          if (body) await blob.uploadData(body, options);
          else await blob.uploadFile(local, options);
        } catch (err) {
          toActivityFailure(err, `upload ${file.blobName}`);
        }
        state.transferred++;
        state.bytes += file.size;
      });
    },
  };
}
