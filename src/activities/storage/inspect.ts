// The input, inspected before anything is created: the files to convert in a folder on this
// worker, or the blobs already uploaded under a prefix. Bad input fails here, non-retryably.
import type fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { matchesGlob } from '../glob';
import { statusOf, toActivityFailure } from '../errors';
import {
  duplicateOutputs,
  inspectionOf,
  type InputFile,
  type InspectionSummary,
  type ManifestRef,
  type TranscodePlan,
} from '../../transcode';
import type { StorageClients } from './clients';
import { holdsBlobsBesideRuns, listBlobs } from './containers';
import { writeManifest } from './manifest';

/**
 * A heartbeat, and a cancelled run stops here: a long inspection ends at once instead of
 * writing a manifest that cleanup (which waits for this step) would then have to delete.
 */
function beat(): void {
  const context = Context.current();
  context.heartbeat();
  if (context.cancellationSignal.aborted) throw new CancelledFailure('inspection cancelled');
}

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

/** Entries named in a summary at most (it enters the workflow's history). */
const MAX_NAMED = 10;

export interface LocalInspection {
  files: InputFile[];
  summary: InspectionSummary;
}

/** The inputs as a manifest: history carries this reference and the summary, never the list. */
export interface ManifestInspection {
  manifest: ManifestRef;
  /** Local inputs only: what the folder held besides the files to convert. */
  summary?: InspectionSummary;
  /**
   * Whether the output container already held anything besides the runs' own files: when it
   * did not, no output can be reused and every input is converted.
   */
  outputsStored?: boolean;
}

function describeEntries(s: InspectionSummary, otherNames: string[]): string {
  const parts = [
    `${s.notMatching} file(s) of other names` +
      (otherNames.length ? ` (such as ${otherNames.join(', ')})` : ''),
    s.folders ? `${s.folders} folder(s)` : '',
    s.brokenLinks.length
      ? `${s.brokenLinks.length} broken link(s) (${s.brokenLinks.join(', ')})`
      : '',
    s.otherEntries ? `${s.otherEntries} other entr(ies)` : '',
  ];
  return parts.filter(Boolean).join(', ');
}

function invalidInput(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'InvalidInput', message, nonRetryable: true });
}

/** Two inputs that would write one output fail the run before anything is created. */
function checkDuplicateOutputs(files: InputFile[], extension: string): void {
  const duplicates = duplicateOutputs(files, extension);
  if (duplicates.length === 0) return;
  const named = duplicates.slice(0, MAX_NAMED).join('; ');
  const more = duplicates.length > MAX_NAMED ? ` (and ${duplicates.length - MAX_NAMED} more)` : '';
  throw invalidInput(
    `Two inputs would write the same output: ${named}${more}. Rename one of them.`,
  );
}

export function createInspectActivities({ blobService }: StorageClients) {
  const activities = {
    /**
     * Lists the files to convert in a folder on this worker; rejects bad input before anything
     * is created. Links to files are followed, wherever they point (a link out of the folder is
     * named in the summary); folders are not searched; every entry left out is counted.
     */
    async inspectLocalInput(args: { dir: string; pattern: string }): Promise<LocalInspection> {
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
      if (entries.length === 0) {
        throw invalidInput(`Input folder ${args.dir} is empty: put the files to convert there.`);
      }
      const summary = inspectionOf(entries.length);
      const candidates: Array<{ name: string; size: number }> = [];
      const otherNames: string[] = [];
      const root = await fsp.realpath(args.dir);
      for (const entry of entries) {
        beat(); // a large folder outlasts a heartbeat timeout
        const full = path.join(args.dir, entry.name);
        const target = await fsp.stat(full).catch(() => undefined); // follows links
        if (!target) {
          summary.brokenLinks.push(entry.name);
          continue;
        }
        if (target.isDirectory()) {
          summary.folders++;
          continue;
        }
        if (!target.isFile()) {
          summary.otherEntries++;
          continue;
        }
        if (!matchesGlob(entry.name, args.pattern)) {
          summary.notMatching++;
          if (otherNames.length < 5) otherNames.push(entry.name);
          continue;
        }
        if (entry.isSymbolicLink()) {
          summary.linksFollowed++;
          const real = await fsp.realpath(full);
          if (path.relative(root, real).startsWith('..'))
            summary.linksOutside.push(`${entry.name} → ${real}`);
        }
        candidates.push({ name: entry.name, size: target.size });
      }
      if (candidates.length === 0) {
        throw invalidInput(
          `No file in ${args.dir} matches ${args.pattern}: it holds ${describeEntries(summary, otherNames)}. ` +
            'Change the pattern or the folder (folders inside it are not searched).',
        );
      }
      const files: InputFile[] = [];
      const notMedia: string[] = [];
      for (const file of candidates.sort((a, b) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      )) {
        if (
          ISO_MEDIA_EXTENSIONS.test(file.name) &&
          !(await looksLikeIsoMedia(path.join(args.dir, file.name)))
        ) {
          notMedia.push(file.name);
          continue;
        }
        files.push({ blobName: file.name, size: file.size });
      }
      if (notMedia.length > 0) {
        throw invalidInput(
          `${notMedia.length} file(s) named like MP4 video are not MP4 files (no 'ftyp' box at the ` +
            `start): ${notMedia.join(', ')}. Remove or replace them.`,
        );
      }
      summary.linksOutside = summary.linksOutside.slice(0, MAX_NAMED);
      summary.brokenLinks = summary.brokenLinks.slice(0, MAX_NAMED);
      return { files, summary };
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
        for await (const blob of listBlobs(container, { prefix: args.prefix })) {
          beat();
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
  return {
    ...activities,

    /**
     * Lists the inputs (a local folder or blobs under a prefix), rejects bad input and inputs
     * that would write the same output, and writes the list as the run's manifest (idempotent:
     * a retry writes the same blob). Only the reference and the summary return to the workflow.
     */
    async inspectInputToManifest(args: {
      source: TranscodePlan['source'];
      extension: string;
      manifest: { container: string; blobName: string };
    }): Promise<ManifestInspection> {
      const { source } = args;
      const inspected =
        source.kind === 'local'
          ? await activities.inspectLocalInput(source)
          : { files: await activities.inspectBlobInput(source), summary: undefined };
      checkDuplicateOutputs(inspected.files, args.extension);
      beat();
      // Read before the manifest goes into the same container (and may create it).
      let outputsStored: boolean;
      try {
        outputsStored = await holdsBlobsBesideRuns(
          blobService.getContainerClient(args.manifest.container),
        );
      } catch (err) {
        toActivityFailure(err, `list output container ${args.manifest.container}`);
      }
      const manifest = await writeManifest(
        blobService,
        args.manifest,
        inspected.files,
        (file) => file.size,
      );
      return { manifest, summary: inspected.summary, outputsStored };
    },
  };
}
