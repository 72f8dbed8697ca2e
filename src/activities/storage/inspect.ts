// The input, inspected before anything is created: the files to convert in a folder on this
// worker, or the blobs already uploaded under a prefix. Bad input fails here, non-retryably.
import type fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { matchesGlob } from '../glob';
import { statusOf, toActivityFailure } from '../errors';
import type { InputFile } from '../../transcode';
import type { StorageClients } from './clients';
import { listBlobs } from './containers';

/** Media files that start with an ISO base media `ftyp` box (MP4, MOV, M4V, 3GP). */
const ISO_MEDIA_EXTENSIONS = /\.(mp4|m4v|mov|3gp)$/i;

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

export function createInspectActivities({ blobService }: StorageClients) {
  return {
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
  };
}
