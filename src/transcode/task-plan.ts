// One Batch task per input file: deterministic ids and safe local names, so a retried
// addCollection finds the same tasks and no file name ever reaches a command line.

export interface InputFile {
  /** Blob name in the input container (also the original file name, maybe with a prefix). */
  blobName: string;
  size: number;
  /** The input's identity for incremental runs (recipe.ts OutputRecord.inputMd5), once known. */
  md5?: string;
  /**
   * A local file's size and modification time as they were when `md5` was read from it: the
   * upload reuses `md5` only while both still match (without them, it reads the file again).
   */
  md5Stamp?: FileStamp;
}

/** What tells that a local file may have changed, without reading it. */
export interface FileStamp {
  size: number;
  mtimeMs: number;
}

export interface TaskPlan {
  taskId: string;
  inputBlob: string;
  outputBlob: string;
  /** Names on the node: fixed and shell-safe whatever the original file was called. */
  localInput: string;
  localOutput: string;
  commandLine: string;
  /** The input's identity (InputFile.md5), when known: recorded on the output it makes. */
  inputMd5?: string;
}

/** `dir/a.b.mp4` → `a.b.mp3` (the tutorial dropped inner dots; we keep them). */
export function outputNameFor(blobName: string, extension: string): string {
  const base = blobName.slice(blobName.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return `${dot > 0 ? base.slice(0, dot) : base}.${extension}`;
}

function localExtension(blobName: string): string {
  const base = blobName.slice(blobName.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  const ext = dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
  return /^[a-z0-9]{1,10}$/.test(ext) ? `.${ext}` : '';
}

export function planTasks(
  files: InputFile[],
  extension: string,
  commandTemplate: string,
): TaskPlan[] {
  return planTasksFrom(files, 0, files.length, extension, commandTemplate);
}

/**
 * The tasks of a slice of the inputs (a manifest read a chunk at a time): `firstIndex` is the
 * slice's position among all `total` inputs, so the ids are those planTasks gives.
 */
export function planTasksFrom(
  files: InputFile[],
  firstIndex: number,
  total: number,
  extension: string,
  commandTemplate: string,
): TaskPlan[] {
  const width = Math.max(5, String(total).length);
  return files.map((file, offset) => {
    const index = firstIndex + offset;
    const localInput = `input${localExtension(file.blobName)}`;
    const localOutput = `output.${extension}`;
    return {
      taskId: `task-${String(index).padStart(width, '0')}`,
      inputBlob: file.blobName,
      outputBlob: outputNameFor(file.blobName, extension),
      localInput,
      localOutput,
      commandLine: commandTemplate
        .split('{input}')
        .join(localInput)
        .split('{output}')
        .join(localOutput),
      ...(file.md5 ? { inputMd5: file.md5 } : {}),
    };
  });
}

/** Output names that two inputs would both produce (a.mp4 and a.mov → a.mp3). */
export function duplicateOutputs(files: InputFile[], extension: string): string[] {
  const seen = new Map<string, string>();
  const dups: string[] = [];
  for (const file of files) {
    const out = outputNameFor(file.blobName, extension);
    const first = seen.get(out);
    if (first !== undefined) dups.push(`${first} and ${file.blobName} both become ${out}`);
    else seen.set(out, file.blobName);
  }
  return dups;
}
