// Incremental runs: what made each output, recorded in its blob's metadata (by its upload, or
// once its task has succeeded), and the selection of the inputs whose output is not already
// stored with the record of the same input and recipe.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { statusOf, toActivityFailure } from '../errors';
import {
  etagIdentity,
  isReusable,
  outputNameFor,
  partitionByRecord,
  recordFromMetadata,
  recordMetadata,
  type InputFile,
  type ManifestRef,
  type OutputRecord,
  type ResultEntry,
  type TranscodePlan,
} from '../../transcode';
import type { StorageClients } from './clients';
import { md5OfFile } from './block-upload';
import { listBlobs } from './containers';
import { recordedMd5, stampOf } from './file-stamp';
import { readWholeManifest, writeManifest } from './manifest';

/** What the selection answers: the files to convert (a list or a manifest) and what it reused. */
export interface Selection {
  /** The files to convert, each with its `md5`, when the candidates came as a list. */
  files?: InputFile[];
  /** The same as a manifest, when the candidates came as one. */
  manifest?: ManifestRef;
  convert: number;
  reused: number;
  reusedBytes: number;
  /** The outputs reused, as result entries (when asked for and some were). */
  reusedList?: ManifestRef;
}

/** One output to stamp: its blob and the identity of the input it was made from. */
export interface OutputToStamp {
  outputBlob: string;
  inputMd5: string;
}

const HASHING_AT_ONCE = 4;
const STAMPING_AT_ONCE = 16;

/** Hashing a big local file can outlast the heartbeat timeout: it heartbeats as it reads. */
async function md5Base64(file: string): Promise<string> {
  const working = () => Context.current().heartbeat();
  return (await md5OfFile(file, { working })).toString('base64');
}

/** `work` over the items, `atOnce` at a time, heartbeating the count done. */
async function eachBounded<T>(
  items: T[],
  atOnce: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let done = 0;
  const runner = async () => {
    while (next < items.length) {
      const item = items[next++];
      // As a cancellation (not a failure, which would be retried): the run waits for this step.
      if (Context.current().cancellationSignal.aborted) throw new CancelledFailure('cancelled');
      await work(item);
      Context.current().heartbeat({ done: ++done });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, atOnce) }, runner));
}

/**
 * The records of the stored outputs among `names` (unrecorded ones too), in one listing; their
 * sizes into `sizes` when given.
 */
async function storedRecords(
  clients: StorageClients,
  containerName: string,
  names: Set<string>,
  sizes?: Map<string, number>,
): Promise<Map<string, OutputRecord | undefined>> {
  const records = new Map<string, OutputRecord | undefined>();
  try {
    const container = clients.blobService.getContainerClient(containerName);
    for await (const blob of listBlobs(container, { includeMetadata: true })) {
      if (names.has(blob.name)) {
        records.set(blob.name, recordFromMetadata(blob.metadata));
        sizes?.set(blob.name, blob.properties.contentLength ?? 0);
      }
      // Throttled by the SDK: a long listing (a hundred thousand outputs) keeps the activity alive.
      Context.current().heartbeat();
    }
  } catch (err) {
    // No output container yet: nothing stored.
    if (statusOf(err) !== 404) toActivityFailure(err, `list output container ${containerName}`);
  }
  return records;
}

export function createRecordActivities(clients: StorageClients) {
  const { blobService } = clients;

  /** Each input's identity: the MD5 of a local file (streamed), a blob's Content-MD5 or etag. */
  async function identify(source: TranscodePlan['source'], files: InputFile[]): Promise<void> {
    if (source.kind === 'local') {
      await eachBounded(files, HASHING_AT_ONCE, async (file) => {
        const local = path.join(source.dir, file.blobName);
        // Stamped before reading: a change while it is hashed leaves the file unlike its stamp.
        const stats = await fsp.stat(local);
        if (recordedMd5(file, stats)) return;
        file.md5 = await md5Base64(local);
        file.md5Stamp = stampOf(stats);
      });
      return;
    }
    const byName = new Map(files.map((f) => [f.blobName, f]));
    const container = blobService.getContainerClient(source.container);
    try {
      for await (const blob of listBlobs(container, { prefix: source.prefix })) {
        const file = byName.get(blob.name);
        if (!file) continue;
        const { contentMD5, etag, contentLength } = blob.properties;
        file.md5 =
          contentMD5 && contentMD5.length > 0
            ? Buffer.from(contentMD5).toString('base64')
            : etagIdentity(etag, contentLength ?? 0);
      }
    } catch (err) {
      toActivityFailure(err, `list input container ${source.container}`);
    }
  }

  async function selectFrom(
    files: InputFile[],
    args: {
      source: TranscodePlan['source'];
      outputContainer: string;
      extension: string;
      recipe: string;
      force: boolean;
    },
    /** Filled with the stored outputs' sizes. */
    sizes?: Map<string, number>,
  ) {
    await identify(args.source, files);
    if (args.force) return { convert: files, reused: [] as InputFile[] };
    const outputOf = (file: InputFile) => outputNameFor(file.blobName, args.extension);
    const names = new Set(files.map(outputOf));
    const stored = await storedRecords(clients, args.outputContainer, names, sizes);
    return partitionByRecord(
      files,
      (file) => (file.md5 ? { inputMd5: file.md5, recipe: args.recipe } : undefined),
      (file) => stored.get(outputOf(file)),
    );
  }

  return {
    /**
     * The inputs whose output is not stored with this input's and this recipe's record (all of
     * them with `force`), each with its identity for the stamp after its task succeeded.
     * Candidates come as a list (answered as a list) or a manifest (answered as a new one).
     */
    async selectInputsToConvert(args: {
      source: TranscodePlan['source'];
      outputContainer: string;
      extension: string;
      recipe: string;
      force: boolean;
      files?: InputFile[];
      manifest?: ManifestRef;
      /** Where to write the manifest of the files to convert (with `manifest`). */
      selectedManifest?: { container: string; blobName: string };
      /** Where to list the outputs reused, when some are (a run that downloads its outputs). */
      reusedList?: { container: string; blobName: string };
    }): Promise<Selection> {
      const candidates = args.manifest
        ? await readWholeManifest<InputFile>(blobService, args.manifest)
        : (args.files ?? []);
      const sizes = new Map<string, number>();
      const { convert, reused } = await selectFrom(candidates, args, sizes);
      const counts = {
        convert: convert.length,
        reused: reused.length,
        reusedBytes: reused.reduce((sum, f) => sum + f.size, 0),
      };
      const reusedList =
        args.reusedList && reused.length > 0
          ? await writeManifest(
              blobService,
              args.reusedList,
              reused.map((file): ResultEntry => {
                const name = outputNameFor(file.blobName, args.extension);
                return { kind: 'output', name, size: sizes.get(name) ?? 0 };
              }),
            )
          : undefined;
      if (!args.manifest) return { files: convert, ...counts, ...(reusedList && { reusedList }) };
      const target = args.selectedManifest ?? {
        container: args.manifest.container,
        blobName: args.manifest.blobName.replace(/(\.jsonl\.gz)?$/, '.selected$1'),
      };
      const manifest = await writeManifest(blobService, target, convert, (f) => f.size);
      return { manifest, ...counts, ...(reusedList && { reusedList }) };
    },
  };
}

/** What the stamp did: records written, found in place, outputs gone; and how it knew. */
export interface StampResult {
  stamped: number;
  alreadyRecorded: number;
  missing: number;
  /**
   * `listing`: every output's metadata read in one listing of the container; `first-output`:
   * the tasks were all added asking for the record on upload, and the output of the first task
   * that succeeded carries it, so Batch stored them all (a few requests for the whole run).
   */
  checkedBy: 'listing' | 'first-output';
}

/** Whether the output carries the record of its input and this recipe (false if it is gone). */
export async function hasRecord(
  clients: StorageClients,
  container: string,
  recipe: string,
  output: OutputToStamp,
): Promise<boolean> {
  const stored = await clients.blobService
    .getContainerClient(container)
    .getBlobClient(output.outputBlob)
    .getProperties()
    .then(
      (props) => recordFromMetadata(props.metadata),
      (err: unknown) => {
        // Gone: a listing tells which others are too.
        if (statusOf(err) === 404) return undefined;
        toActivityFailure(err, `read the record of ${output.outputBlob}`);
      },
    );
  return isReusable(stored, { inputMd5: output.inputMd5, recipe });
}

/**
 * Records in each output's metadata the input and recipe that made it: one listing finds the
 * outputs that have it already (their upload stored it), and only the others get a call each
 * (Blob storage has no batch form). An output gone is counted missing.
 */
export async function stampRecords(
  clients: StorageClients,
  container: string,
  recipe: string,
  outputs: OutputToStamp[],
): Promise<StampResult> {
  const containerClient = clients.blobService.getContainerClient(container);
  const stored = await storedRecords(clients, container, new Set(outputs.map((o) => o.outputBlob)));
  let stamped = 0;
  let alreadyRecorded = 0;
  let missing = 0;
  const toStamp = outputs.filter((output) => {
    if (!stored.has(output.outputBlob)) {
      // Gone since its task uploaded it: the next run converts it again.
      missing++;
      return false;
    }
    const wanted = { inputMd5: output.inputMd5, recipe };
    if (isReusable(stored.get(output.outputBlob), wanted)) {
      alreadyRecorded++;
      return false;
    }
    return true;
  });
  await eachBounded(toStamp, clients.concurrency ?? STAMPING_AT_ONCE, async (output) => {
    try {
      await containerClient
        .getBlobClient(output.outputBlob)
        .setMetadata(recordMetadata({ inputMd5: output.inputMd5, recipe }));
      stamped++;
    } catch (err) {
      if (statusOf(err) === 404) missing++;
      else toActivityFailure(err, `record metadata of ${output.outputBlob}`);
    }
  });
  return { stamped, alreadyRecorded, missing, checkedBy: 'listing' };
}
