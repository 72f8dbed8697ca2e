// Manifests: a run's long lists as gzip'd JSON lines in a blob (the claim check), written once
// under a deterministic name and read back a chunk at a time, so neither the workflow's history
// nor a reader's memory holds the whole list.
import crypto from 'node:crypto';
import readline from 'node:readline';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { BlobServiceClient } from '@azure/storage-blob';
import { ApplicationFailure } from '@temporalio/common';
import { statusOf, toActivityFailure } from '../errors';
import type { ManifestRef } from '../../transcode';

const gzip = promisify(zlib.gzip);

/** The hash is also kept in the blob's metadata, so a rewrite of the same content is skipped. */
const SHA256_METADATA = 'sha256';

/**
 * Writes the entries as one blob and returns its reference. Idempotent: the same entries give
 * the same bytes (gzip without a timestamp) and so the same hash; a blob already stored with
 * that hash is not written again.
 */
export async function writeManifest<T>(
  blobService: BlobServiceClient,
  target: { container: string; blobName: string },
  entries: Iterable<T>,
  sizeOf: (entry: T) => number = () => 0,
): Promise<ManifestRef> {
  const lines: string[] = [];
  let count = 0;
  let totalBytes = 0;
  for (const entry of entries) {
    lines.push(JSON.stringify(entry));
    count++;
    totalBytes += sizeOf(entry);
  }
  const body = await gzip(lines.length ? `${lines.join('\n')}\n` : '');
  const sha256 = crypto.createHash('sha256').update(body).digest('hex');
  const ref: ManifestRef = { ...target, sha256, count, totalBytes };
  const container = blobService.getContainerClient(target.container);
  const blob = container.getBlockBlobClient(target.blobName);
  try {
    await container.createIfNotExists();
    const stored = await blob.getProperties().catch((err: unknown) => {
      if (statusOf(err) === 404) return undefined;
      throw err;
    });
    if (stored?.metadata?.[SHA256_METADATA] === sha256) return ref;
    await blob.uploadData(body, {
      metadata: { [SHA256_METADATA]: sha256 },
      blobHTTPHeaders: { blobContentType: 'application/gzip' },
    });
  } catch (err) {
    toActivityFailure(err, `write manifest ${target.container}/${target.blobName}`);
  }
  return ref;
}

/**
 * The entries in order, `chunkSize` at a time, streamed (one chunk in memory at once). The
 * stored hash is checked before the first chunk and the bytes read are checked at the end: a
 * blob replaced under the same name fails the read instead of feeding the wrong list.
 */
export async function* readManifest<T>(
  blobService: BlobServiceClient,
  ref: ManifestRef,
  chunkSize: number,
): AsyncIterable<T[]> {
  const blob = blobService.getContainerClient(ref.container).getBlobClient(ref.blobName);
  let body: NodeJS.ReadableStream | undefined;
  try {
    const response = await blob.download();
    if (response.metadata?.[SHA256_METADATA] !== ref.sha256) throw changedManifest(ref);
    body = response.readableStreamBody;
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err;
    if (statusOf(err) === 404) throw missingManifest(ref);
    toActivityFailure(err, `read manifest ${ref.container}/${ref.blobName}`);
  }
  if (!body) throw missingManifest(ref);
  const hash = crypto.createHash('sha256');
  body.on('data', (data: Buffer) => hash.update(data));
  const lines = readline.createInterface({ input: body.pipe(zlib.createGunzip()) });
  let chunk: T[] = [];
  let count = 0;
  for await (const line of lines) {
    if (!line) continue;
    chunk.push(JSON.parse(line) as T);
    count++;
    if (chunk.length >= chunkSize) {
      yield chunk;
      chunk = [];
    }
  }
  if (hash.digest('hex') !== ref.sha256 || count !== ref.count) throw changedManifest(ref);
  if (chunk.length > 0) yield chunk;
}

/** Every entry at once: for callers that hold a bounded list (a page of results). */
export async function readWholeManifest<T>(
  blobService: BlobServiceClient,
  ref: ManifestRef,
): Promise<T[]> {
  const all: T[] = [];
  for await (const chunk of readManifest<T>(blobService, ref, 1000)) all.push(...chunk);
  return all;
}

/** Deletes a manifest; true when it existed. */
export async function deleteManifest(
  blobService: BlobServiceClient,
  ref: Pick<ManifestRef, 'container' | 'blobName'>,
): Promise<boolean> {
  try {
    const blob = blobService.getContainerClient(ref.container).getBlobClient(ref.blobName);
    return (await blob.deleteIfExists()).succeeded;
  } catch (err) {
    if (statusOf(err) === 404) return false; // the container is gone: so is the manifest
    toActivityFailure(err, `delete manifest ${ref.container}/${ref.blobName}`);
  }
}

function missingManifest(ref: ManifestRef): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'ManifestMissing',
    nonRetryable: true,
    message:
      `The run's manifest ${ref.container}/${ref.blobName} is gone (deleted while the run ` +
      'was in progress?): start the run again.',
  });
}

function changedManifest(ref: ManifestRef): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'ManifestChanged',
    nonRetryable: true,
    message:
      `The run's manifest ${ref.container}/${ref.blobName} no longer has the content the run ` +
      'recorded (sha256 differs): it was replaced while the run was in progress; start the run again.',
  });
}

export function createManifestActivities({ blobService }: { blobService: BlobServiceClient }) {
  return {
    /**
     * Deletes a run's manifest once nothing reads it any more, and the run's other blobs named
     * in `alsoBlobNames` (same container); true when the manifest existed.
     */
    async deleteManifest(args: {
      container: string;
      blobName: string;
      alsoBlobNames?: string[];
    }): Promise<boolean> {
      for (const blobName of args.alsoBlobNames ?? []) {
        await deleteManifest(blobService, { container: args.container, blobName });
      }
      return deleteManifest(blobService, args);
    },
  };
}
