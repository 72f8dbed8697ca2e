// Every blob storage call of the project: inspect and upload inputs, verify and download
// outputs, delete the input container, and make the SAS URLs Batch needs (never returned
// to the workflow). Made by a factory over the clients, so Azure and Azurite are the same code.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { activityInfo, Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  BlobServiceClient,
  type BlobItem,
  type ContainerClient,
  ContainerSASPermissions,
  generateBlobSASQueryParameters,
  type StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { matchesGlob } from './glob';
import { statusOf, toActivityFailure } from './errors';
import type { InputFile } from '../workflows/transcode/task-plan';

export interface StorageClients {
  blobService: BlobServiceClient;
  credential: StorageSharedKeyCredential;
  /** Files uploaded or downloaded at once. */
  concurrency?: number;
}

export interface TransferSummary {
  files: number;
  transferred: number;
  skipped: number;
  bytes: number;
}

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

interface TransferHeartbeat {
  /** Every file before this index is done. */
  watermark: number;
  transferred: number;
  skipped: number;
  bytes: number;
}

/** Files up to this size are read into memory once instead of streamed twice (hash, upload). */
const SMALL_FILE_BYTES = 32 * 1024 * 1024;

/** Media files that start with an ISO base media `ftyp` box (MP4, MOV, M4V, 3GP). */
const ISO_MEDIA_EXTENSIONS = /\.(mp4|m4v|mov|3gp)$/i;

/**
 * Every blob under a prefix, a page of 1,000 at a time: the service's default of 5,000 per page
 * made the worker's heap jump by about 65 MB on a 10,000-blob container.
 */
async function* listBlobs(container: ContainerClient, prefix?: string): AsyncIterable<BlobItem> {
  for await (const page of container.listBlobsFlat({ prefix }).byPage({ maxPageSize: 1000 })) {
    yield* page.segment.blobItems;
  }
}

async function md5OfFile(file: string): Promise<Buffer> {
  const hash = crypto.createHash('md5');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest();
}

async function looksLikeIsoMedia(file: string): Promise<boolean> {
  const handle = await fsp.open(file, 'r');
  try {
    const header = Buffer.alloc(12);
    const { bytesRead } = await handle.read(header, 0, 12, 0);
    return bytesRead >= 12 && header.toString('latin1', 4, 8) === 'ftyp';
  } finally {
    await handle.close();
  }
}

function invalidInput(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'InvalidInput', message, nonRetryable: true });
}

/**
 * Runs `work` over items with bounded concurrency, reporting a watermark: every item before it
 * is done, so a retried attempt can start there.
 */
async function forEachBounded<T>(
  items: T[],
  start: number,
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
  onDone: (watermark: number) => void,
): Promise<void> {
  const done = new Array<boolean>(items.length).fill(false);
  let next = start;
  let watermark = start;
  const runner = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index], index);
      done[index] = true;
      while (watermark < items.length && done[watermark]) watermark++;
      onDone(watermark);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, runner));
}

export function createStorageActivities(clients: StorageClients) {
  const { blobService } = clients;
  const concurrency = clients.concurrency ?? 8;

  function cancelled(): boolean {
    return Context.current().cancellationSignal.aborted;
  }

  return {
    /** An authenticated account-level call: proves the storage key before anything is created. */
    async checkStorageAccess(): Promise<void> {
      try {
        await blobService.getProperties();
      } catch (err) {
        toActivityFailure(err, `storage account ${blobService.accountName}`);
      }
    },

    /** Lists the files to convert in a folder on this worker; rejects bad input before anything is created. */
    async inspectLocalInput(args: { dir: string; pattern: string }): Promise<InputFile[]> {
      let entries: fs.Dirent[];
      try {
        entries = await fsp.readdir(args.dir, { withFileTypes: true });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          throw invalidInput(
            `Input folder ${args.dir} does not exist on the worker's machine: check the path.`,
          );
        }
        if (code === 'ENOTDIR') throw invalidInput(`Input ${args.dir} is a file, not a folder.`);
        throw invalidInput(`Input folder ${args.dir} cannot be read: ${(err as Error).message}`);
      }
      const files = entries.filter((e) => e.isFile());
      if (files.length === 0) {
        throw invalidInput(`Input folder ${args.dir} is empty: put the files to convert there.`);
      }
      const matching = files.filter((e) => matchesGlob(e.name, args.pattern));
      if (matching.length === 0) {
        const seen = files.slice(0, 5).map((e) => e.name);
        throw invalidInput(
          `No file in ${args.dir} matches ${args.pattern} (it holds ${files.length} file(s), such as ` +
            `${seen.join(', ')}): change the pattern or the folder.`,
        );
      }
      const result: InputFile[] = [];
      const notMedia: string[] = [];
      for (const entry of matching.sort((a, b) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      )) {
        const full = path.join(args.dir, entry.name);
        if (ISO_MEDIA_EXTENSIONS.test(entry.name) && !(await looksLikeIsoMedia(full))) {
          notMedia.push(entry.name);
          continue;
        }
        result.push({ blobName: entry.name, size: (await fsp.stat(full)).size });
      }
      if (notMedia.length > 0) {
        throw invalidInput(
          `${notMedia.length} file(s) named like MP4 video are not MP4 files (no 'ftyp' box at the ` +
            `start): ${notMedia.join(', ')}. Remove or replace them.`,
        );
      }
      return result;
    },

    /** Lists input blobs already uploaded under a prefix. */
    async inspectBlobInput(args: {
      container: string;
      prefix: string;
      pattern: string;
    }): Promise<InputFile[]> {
      const container = blobService.getContainerClient(args.container);
      const files: InputFile[] = [];
      try {
        for await (const blob of listBlobs(container, args.prefix)) {
          const name = blob.name.slice(blob.name.lastIndexOf('/') + 1);
          if (matchesGlob(name, args.pattern)) {
            files.push({ blobName: blob.name, size: blob.properties.contentLength ?? 0 });
          }
        }
      } catch (err) {
        if (statusOf(err) === 404) {
          throw invalidInput(`Input container ${args.container} does not exist.`);
        }
        toActivityFailure(err, `list input container ${args.container}`);
      }
      if (files.length === 0) {
        throw invalidInput(
          `No blob in ${args.container}/${args.prefix} matches ${args.pattern}: check the container, prefix and pattern.`,
        );
      }
      return files.sort((a, b) => (a.blobName < b.blobName ? -1 : 1));
    },

    /** Creates the containers that do not exist yet (idempotent). */
    async ensureContainers(args: { names: string[] }): Promise<void> {
      for (const name of args.names) {
        try {
          await blobService.getContainerClient(name).createIfNotExists();
        } catch (err) {
          toActivityFailure(err, `create container ${name}`);
        }
      }
    },

    /**
     * Uploads the files, skipping any blob already stored with the same MD5; heartbeats a
     * watermark so a retried attempt resumes where the last one stopped.
     */
    async uploadInputs(args: {
      dir: string;
      container: string;
      files: InputFile[];
    }): Promise<TransferSummary> {
      const resumed = activityInfo().heartbeatDetails as TransferHeartbeat | undefined;
      const state: TransferHeartbeat = resumed ?? {
        watermark: 0,
        transferred: 0,
        skipped: 0,
        bytes: 0,
      };
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
      await forEachBounded(
        args.files,
        state.watermark,
        concurrency,
        async (file) => {
          if (cancelled()) throw new Error('upload cancelled');
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
        },
        (watermark) => {
          state.watermark = watermark;
          Context.current().heartbeat(state);
        },
      );
      return {
        files: args.files.length,
        transferred: state.transferred,
        skipped: state.skipped,
        bytes: state.bytes,
      };
    },

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
      names: string[];
      dir: string;
    }): Promise<TransferSummary> {
      const resumed = activityInfo().heartbeatDetails as TransferHeartbeat | undefined;
      const state: TransferHeartbeat = resumed ?? {
        watermark: 0,
        transferred: 0,
        skipped: 0,
        bytes: 0,
      };
      await fsp.mkdir(args.dir, { recursive: true });
      const container = blobService.getContainerClient(args.container);
      await forEachBounded(
        args.names,
        state.watermark,
        concurrency,
        async (name) => {
          if (cancelled()) throw new Error('download cancelled');
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
        },
        (watermark) => {
          state.watermark = watermark;
          Context.current().heartbeat(state);
        },
      );
      return {
        files: args.names.length,
        transferred: state.transferred,
        skipped: state.skipped,
        bytes: state.bytes,
      };
    },

    /** Deletes a container; true when it existed. */
    async deleteContainer(args: { name: string }): Promise<boolean> {
      try {
        const response = await blobService.getContainerClient(args.name).deleteIfExists();
        return response.succeeded;
      } catch (err) {
        toActivityFailure(err, `delete container ${args.name}`);
      }
    },
  };
}

/** Container SAS URLs for Batch: made here, used in the Batch request, never returned. */
export function containerSasUrl(
  clients: Pick<StorageClients, 'blobService' | 'credential'>,
  container: string,
  permissions: 'read' | 'create-write',
  expiresOn: Date,
): string {
  const sas = generateBlobSASQueryParameters(
    {
      containerName: container,
      permissions: ContainerSASPermissions.parse(permissions === 'read' ? 'r' : 'cw'),
      startsOn: new Date(Date.now() - 5 * 60_000),
      expiresOn,
    },
    clients.credential,
  ).toString();
  return `${clients.blobService.getContainerClient(container).url}?${sas}`;
}

export function blobUrlWithSas(containerUrlWithSas: string, blobName: string): string {
  const [base, query] = containerUrlWithSas.split('?');
  const encoded = blobName.split('/').map(encodeURIComponent).join('/');
  return `${base}/${encoded}?${query}`;
}

export type StorageActivities = ReturnType<typeof createStorageActivities>;
