// A prototype of the upload change the benchmark proposes for uploadInputs (src/activities/
// storage.ts), kept here so its effect is measured beside the real activity: one container
// listing instead of a HEAD per file, an MD5 computed only when a blob of that name exists (to
// compare), and no Content-MD5 header on single-shot uploads, since Put Blob stores the MD5 the
// service computes itself.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ContainerClient } from '@azure/storage-blob';

/** Files above this go up in blocks, where the service stores no MD5: send ours then. */
const SINGLE_SHOT_BYTES = 256 * 1024 * 1024;

async function md5OfFile(file: string): Promise<Buffer> {
  const hash = crypto.createHash('md5');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest();
}

export async function uploadListOnce(
  container: ContainerClient,
  dir: string,
  names: string[],
  concurrency: number,
): Promise<{ transferred: number; skipped: number; bytes: number }> {
  await container.createIfNotExists();
  const stored = new Map<string, string>();
  for await (const blob of container.listBlobsFlat()) {
    if (blob.properties.contentMD5) {
      stored.set(blob.name, Buffer.from(blob.properties.contentMD5).toString('base64'));
    }
  }
  const summary = { transferred: 0, skipped: 0, bytes: 0 };
  let next = 0;
  const runner = async () => {
    while (next < names.length) {
      const name = names[next++];
      const local = path.join(dir, name);
      const existing = stored.get(name);
      if (existing && (await md5OfFile(local)).toString('base64') === existing) {
        summary.skipped++;
        continue;
      }
      const size = (await fs.promises.stat(local)).size;
      await container.getBlockBlobClient(name).uploadFile(local, {
        blobHTTPHeaders: size > SINGLE_SHOT_BYTES ? { blobContentMD5: await md5OfFile(local) } : {},
      });
      summary.transferred++;
      summary.bytes += size;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, runner));
  return summary;
}
