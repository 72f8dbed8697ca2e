import type { BatchServiceModels as M } from '@azure/batch';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { AsUserError, writeFileAs } from './as-user';
import { redact, TaskFailure, userError } from './failure';
import { createFileOf } from './owned-files';
import { isStaleSocket, markStaleSocket, STALE_SOCKET_RETRIES } from './stale-socket';
import type { RunAs } from './task-user';

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

const MAX_REDIRECTS = 20;

/** One GET, sent again when a closing kept-alive connection lost it (see stale-socket.ts). */
async function getOnce(
  url: URL,
  signal: AbortSignal,
  headers: Record<string, string>,
): Promise<IncomingMessage> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await new Promise<IncomingMessage>((resolve, reject) => {
        const get = url.protocol === 'https:' ? httpsGet : httpGet;
        const req = get(url, { signal, headers }, resolve);
        req.on('error', (err) => reject(markStaleSocket(req, err)));
      });
    } catch (err) {
      if (signal.aborted || !isStaleSocket(err) || attempt >= STALE_SOCKET_RETRIES) throw err;
    }
  }
}

/**
 * A GET through node:http, following redirects as fetch would. Plain http rather than fetch:
 * fetch (undici and web streams) cost several times the CPU per download, on every task.
 */
async function httpGetResponse(
  url: string,
  signal: AbortSignal,
  headers: Record<string, string> = {},
): Promise<IncomingMessage> {
  let current = new URL(url);
  for (let hops = 0; ; hops++) {
    const res = await getOnce(current, signal, headers);
    const location = res.headers.location;
    if (!location || ![301, 302, 303, 307, 308].includes(res.statusCode ?? 0)) return res;
    res.resume();
    if (hops >= MAX_REDIRECTS) throw new Error('too many redirects');
    current = new URL(location, current);
  }
}

/** Where a download goes and as whom. */
interface Target {
  workingDir: string;
  signal: AbortSignal;
  user: RunAs | undefined;
  /** The working directory was created by this attempt: nothing of the task's is in it yet. */
  fresh: boolean;
}

async function download(
  url: string,
  file: string,
  filePath: string,
  mode: string | undefined,
  { workingDir, signal, user, fresh }: Target,
) {
  let res: IncomingMessage;
  try {
    res = await httpGetResponse(url, signal);
  } catch (err) {
    if (signal.aborted) throw err;
    throw downloadFailure(
      undefined,
      filePath,
      url,
      err instanceof Error ? err.message : String(err),
    );
  }
  const status = res.statusCode ?? 0;
  if (status < 200 || status > 299) {
    res.resume();
    throw downloadFailure(status, filePath, url, res.statusMessage);
  }
  const fileMode = mode ? parseInt(mode, 8) : 0o770;
  if (user?.switched) {
    const created = fresh
      ? await createFileOf(user, workingDir, file, fileMode).catch((err: unknown) => {
          res.destroy();
          throw err;
        })
      : undefined;
    if (created) return pipeline(res, created);
    // Into a directory the task controls: written with the task user's rights (see as-user.ts).
    try {
      await writeFileAs(user, file, dirname(file), fileMode, res, signal);
    } catch (err) {
      if (err instanceof AsUserError) throw downloadFailure(undefined, filePath, url, err.message);
      throw err;
    }
    return;
  }
  await mkdir(dirname(file), { recursive: true });
  await pipeline(res, createWriteStream(file));
  await chmod(file, fileMode);
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
    let res: IncomingMessage;
    let text = '';
    try {
      res = await httpGetResponse(url.toString(), signal, { 'x-ms-version': '2021-08-06' });
      res.setEncoding('utf8');
      for await (const chunk of res) text += chunk as string;
    } catch (err) {
      if (signal.aborted) throw err;
      throw downloadFailure(undefined, prefix ?? '', containerUrl, String(err));
    }
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) {
      throw downloadFailure(status, prefix ?? '', containerUrl, res.statusMessage);
    }
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
  /** The task's user; files are written as it when it is not the emulator's. */
  user?: RunAs,
  /** True when this attempt created the working directory (see prepareTaskDirs). */
  fresh = false,
): Promise<void> {
  const target: Target = { workingDir, signal, user, fresh };
  for (const rf of files ?? []) {
    if (rf.httpUrl) {
      const filePath = rf.filePath ?? '';
      await download(rf.httpUrl, destination(workingDir, filePath), filePath, rf.fileMode, target);
    } else if (rf.storageContainerUrl) {
      const names = await listBlobs(rf.storageContainerUrl, rf.blobPrefix, signal);
      for (const name of names) {
        const file = destination(workingDir, rf.filePath ?? '', name);
        await download(blobUrl(rf.storageContainerUrl, name), file, name, rf.fileMode, target);
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
