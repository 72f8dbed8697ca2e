import type { BatchServiceModels as M } from '@azure/batch';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { redact, TaskFailure, userError } from './failure';

function downloadFailure(
  status: number | undefined,
  filePath: string,
  url: string,
  detail?: string,
) {
  const details = { FilePath: filePath, Url: redact(url), HttpStatusCode: status, Message: detail };
  if (status === 401 || status === 403) {
    return new TaskFailure(
      userError(
        'BlobAccessDenied',
        'Access for one of the specified Azure Blob(s) is denied',
        details,
      ),
    );
  }
  if (status === 404) {
    return new TaskFailure(
      userError('BlobNotFound', 'One of the specified Azure Blob(s) is not found', details),
    );
  }
  return new TaskFailure(
    userError(
      'BlobDownloadMiscError',
      'Miscellaneous error encountered while downloading one of the specified Azure Blob(s)',
      details,
    ),
  );
}

/** Resource file paths may not leave the working directory (Batch rejects `..` escapes). */
function destination(workingDir: string, ...parts: string[]): string {
  const target = resolve(workingDir, ...parts);
  if (!target.startsWith(workingDir + sep)) {
    throw new TaskFailure(
      userError(
        'ResourceFilePathInvalid',
        'A resource file path leaves the task working directory',
        {
          FilePath: join(...parts),
        },
      ),
    );
  }
  return target;
}

async function download(
  url: string,
  file: string,
  filePath: string,
  signal: AbortSignal,
  mode?: string,
) {
  let res: Response;
  try {
    res = await fetch(url, { signal });
  } catch (err) {
    if (signal.aborted) throw err;
    throw downloadFailure(
      undefined,
      filePath,
      url,
      err instanceof Error ? err.message : String(err),
    );
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw downloadFailure(res.status, filePath, url, res.statusText);
  }
  await mkdir(dirname(file), { recursive: true });
  await pipeline(Readable.fromWeb(res.body), createWriteStream(file));
  await chmod(file, mode ? parseInt(mode, 8) : 0o770);
}

function decodeXml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Lists a container through its SAS URL (List Blobs, following NextMarker). */
async function listBlobs(containerUrl: string, prefix: string | undefined, signal: AbortSignal) {
  const names: string[] = [];
  let marker = '';
  for (;;) {
    const url = new URL(containerUrl);
    url.searchParams.set('restype', 'container');
    url.searchParams.set('comp', 'list');
    if (prefix) url.searchParams.set('prefix', prefix);
    if (marker) url.searchParams.set('marker', marker);
    let res: Response;
    try {
      res = await fetch(url, { signal, headers: { 'x-ms-version': '2021-08-06' } });
    } catch (err) {
      if (signal.aborted) throw err;
      throw downloadFailure(undefined, prefix ?? '', containerUrl, String(err));
    }
    const text = await res.text();
    if (!res.ok) throw downloadFailure(res.status, prefix ?? '', containerUrl, res.statusText);
    for (const m of text.matchAll(/<Blob>[\s\S]*?<Name>([\s\S]*?)<\/Name>/g))
      names.push(decodeXml(m[1]));
    marker = decodeXml(/<NextMarker>([\s\S]*?)<\/NextMarker>/.exec(text)?.[1] ?? '');
    if (!marker) return names;
  }
}

function blobUrl(containerUrl: string, name: string): string {
  const url = new URL(containerUrl);
  url.pathname = `${url.pathname.replace(/\/$/, '')}/${name.split('/').map(encodeURIComponent).join('/')}`;
  return url.toString();
}

/** Downloads a task's resource files into its working directory, as the node agent does. */
export async function downloadResourceFiles(
  files: M.ResourceFile[] | undefined,
  workingDir: string,
  signal: AbortSignal,
): Promise<void> {
  for (const rf of files ?? []) {
    if (rf.httpUrl) {
      const filePath = rf.filePath ?? '';
      await download(rf.httpUrl, destination(workingDir, filePath), filePath, signal, rf.fileMode);
    } else if (rf.storageContainerUrl) {
      const names = await listBlobs(rf.storageContainerUrl, rf.blobPrefix, signal);
      for (const name of names) {
        const file = destination(workingDir, rf.filePath ?? '', name);
        await download(blobUrl(rf.storageContainerUrl, name), file, name, signal, rf.fileMode);
      }
    } else {
      throw new TaskFailure(
        userError(
          'BlobDownloadMiscError',
          'The emulator has no auto-storage account: use httpUrl or storageContainerUrl',
          { AutoStorageContainerName: rf.autoStorageContainerName },
        ),
      );
    }
  }
}
