// The logs Batch keeps for a failed task in the output container (stdout.txt, stderr.txt): the
// end of one, read without downloading the whole of a long one.
import type { BlobServiceClient } from '@azure/storage-blob';
import { statusOf } from '../errors';

/** About the last `maxBytes` of a kept log, as text; undefined when none was kept. */
export async function readKeptLogTail(
  blobService: BlobServiceClient,
  container: string,
  blobName: string,
  maxBytes: number,
): Promise<string | undefined> {
  const blob = blobService.getContainerClient(container).getBlobClient(blobName);
  try {
    const size = (await blob.getProperties()).contentLength ?? 0;
    if (size === 0) return '';
    const offset = Math.max(0, size - maxBytes);
    return (await blob.downloadToBuffer(offset, size - offset)).toString('utf8');
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}
