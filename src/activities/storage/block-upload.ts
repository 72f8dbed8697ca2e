// One big file up as a block blob that survives a kill: fixed-size blocks with ids fixed by the
// content and the index, so a retried attempt asks the service which blocks are already staged,
// sends only the others, and commits the list once.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { BlockBlobClient } from '@azure/storage-blob';
import { CancelledFailure } from '@temporalio/common';
import { statusOf } from '../errors';
import type { FileProgress } from './transfer';

/** Azure's limit of blocks in one blob. */
const MAX_BLOCKS = 50_000;
/** Block sizes grow in whole MiB when a file would need more blocks than Azure allows. */
const MIB = 1024 * 1024;

export interface BlockUploadOptions {
  blockBytes: number;
  blocksAtOnce: number;
  signal: AbortSignal;
}

export interface BlockUploadReport {
  blocks: number;
  /** Blocks found staged by an earlier attempt, not sent again. */
  reused: number;
  /** Blocks sent by this attempt. */
  sent: number;
  sentBytes: number;
}

/** The block size for a file: the one asked for, or larger when it needs too many blocks. */
export function blockSizeFor(size: number, blockBytes: number): number {
  if (Math.ceil(size / blockBytes) <= MAX_BLOCKS) return blockBytes;
  return Math.ceil(size / MAX_BLOCKS / MIB) * MIB;
}

/**
 * A block's id: the file's MD5, the block size and the index, all fixed-width, so every id has
 * the same length (Azure requires it within a blob) and a block of another version of the file,
 * or cut at another size, is never taken for this one.
 */
export function blockId(md5: Buffer, blockBytes: number, index: number): string {
  const size = blockBytes.toString(16).padStart(8, '0');
  return Buffer.from(`${md5.toString('hex')}-${size}-${String(index).padStart(6, '0')}`).toString(
    'base64',
  );
}

/** Reads between two heartbeats while a big file is hashed. */
const HASH_CHUNKS_PER_HEARTBEAT = 64;

/**
 * The file's MD5, streamed; heartbeating as it reads, since hashing a big file can take longer
 * than the heartbeat timeout.
 */
export async function md5OfFile(
  file: string,
  progress: Pick<FileProgress, 'working'>,
): Promise<Buffer> {
  const hash = crypto.createHash('md5');
  let chunks = 0;
  for await (const chunk of fs.createReadStream(file)) {
    hash.update(chunk as Buffer);
    if (++chunks % HASH_CHUNKS_PER_HEARTBEAT === 0) progress.working();
  }
  return hash.digest();
}

/** The blocks already staged on the service (uncommitted), by id and size; none when no blob. */
async function stagedBlocks(blob: BlockBlobClient): Promise<Map<string, number>> {
  try {
    const list = await blob.getBlockList('uncommitted');
    return new Map((list.uncommittedBlocks ?? []).map((b) => [b.name, b.size]));
  } catch (err) {
    if (statusOf(err) === 404) return new Map();
    throw err;
  }
}

/**
 * Stages the blocks of `file` the service does not hold yet, `blocksAtOnce` at a time, each read
 * from the file as it goes (never the whole file in memory), then commits them with the MD5.
 */
export async function uploadInBlocks(
  blob: BlockBlobClient,
  file: { path: string; size: number; md5: Buffer },
  options: BlockUploadOptions,
  progress: FileProgress,
): Promise<BlockUploadReport> {
  const blockBytes = blockSizeFor(file.size, options.blockBytes);
  const count = Math.ceil(file.size / blockBytes);
  const blocks = Array.from({ length: count }, (_, index) => {
    const offset = index * blockBytes;
    const length = Math.min(blockBytes, file.size - offset);
    return { id: blockId(file.md5, blockBytes, index), offset, length };
  });
  const staged = await stagedBlocks(blob);
  // Blocks staged by someone else with ids of another length would make the service refuse
  // ours: committing an empty list discards every uncommitted block.
  const idLength = blocks[0].id.length;
  if ([...staged.keys()].some((id) => id.length !== idLength)) {
    await blob.commitBlockList([], { abortSignal: options.signal });
    staged.clear();
  }
  const missing = blocks.filter((b) => staged.get(b.id) !== b.length);
  let stagedCount = count - missing.length;
  let stagedBytes = file.size - missing.reduce((n, b) => n + b.length, 0);
  progress.staged(stagedCount, count, stagedBytes);
  let sentBytes = 0;
  let next = 0;
  const runner = async () => {
    while (next < missing.length) {
      if (options.signal.aborted) throw new CancelledFailure(`upload of ${blob.name} cancelled`);
      const block = missing[next++];
      progress.sending(block.length);
      sentBytes += block.length;
      await blob.stageBlock(
        block.id,
        () =>
          fs.createReadStream(file.path, {
            start: block.offset,
            end: block.offset + block.length - 1,
          }),
        block.length,
        { abortSignal: options.signal },
      );
      stagedCount++;
      stagedBytes += block.length;
      progress.staged(stagedCount, count, stagedBytes);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.blocksAtOnce) }, runner));
  await blob.commitBlockList(
    blocks.map((b) => b.id),
    { blobHTTPHeaders: { blobContentMD5: file.md5 }, abortSignal: options.signal },
  );
  return { blocks: count, reused: count - missing.length, sent: missing.length, sentBytes };
}
