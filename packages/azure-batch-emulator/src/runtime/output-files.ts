import type { BatchServiceModels as M } from '@azure/batch';
import { createReadStream } from 'node:fs';
import { appendFile, stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { openFileAs } from './as-user';
import { redact, TaskFailure, userError } from './failure';
import { expandPattern } from './glob';
import type { TaskDirs } from './node-layout';
import { openFileOf } from './owned-files';
import { isStaleSocket, markStaleSocket, STALE_SOCKET_RETRIES } from './stale-socket';
import type { RunAs } from './task-user';

const WILD = /[*?[]/;

function blobUrl(containerUrl: string, blobName: string): URL {
  const url = new URL(containerUrl);
  const encoded = blobName.split('/').map(encodeURIComponent).join('/');
  url.pathname = `${url.pathname.replace(/\/$/, '')}/${encoded}`;
  return url;
}

/** One Put Blob (block blob) streamed from disk, carrying the container SAS from the URL. */
function putBlob(url: URL, source: Source, extra: M.HttpHeader[], signal: AbortSignal) {
  return new Promise<{ status: number; errorCode?: string }>((resolve, reject) => {
    const headers: Record<string, string> = {
      'x-ms-blob-type': 'BlockBlob',
      'x-ms-version': '2021-08-06',
      'x-ms-date': new Date().toUTCString(),
      'Content-Length': String(source.size),
      'Content-Type': 'application/octet-stream',
    };
    for (const h of extra) headers[h.name] = h.value ?? '';
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method: 'PUT', headers, signal }, (res: IncomingMessage) => {
      res.resume();
      res.on('end', () => {
        const code = res.headers['x-ms-error-code'];
        resolve({ status: res.statusCode ?? 0, errorCode: Array.isArray(code) ? code[0] : code });
      });
    });
    req.on('error', (err) => reject(markStaleSocket(req, err)));
    source.stream.on('error', (err) => req.destroy(err)).pipe(req);
  });
}

interface Source {
  size: number;
  stream: Readable;
  /** Rejects when the file could not be read to its end. */
  done: Promise<void>;
}

/**
 * The file's bytes: read by the emulator when the task runs as its own user, else opened with
 * the task user's rights, so that a symlink to a file the task may not read uploads nothing
 * (in-process when the file plainly is the user's: see owned-files.ts).
 */
async function openSource(
  file: string,
  user: RunAs | undefined,
  dirs: TaskDirs,
  signal: AbortSignal,
): Promise<Source> {
  if (user?.switched) {
    const own = await openFileOf(user, [dirs.workingDir, dirs.taskDir], file);
    return own ?? openFileAs(user, file, signal);
  }
  const size = (await stat(file)).size;
  return { size, stream: createReadStream(file), done: Promise.resolve() };
}

export type Outcome = 'success' | 'failure';

function wanted(condition: string | undefined, outcome: Outcome): boolean {
  switch ((condition ?? 'taskcompletion').toLowerCase()) {
    case 'tasksuccess':
      return outcome === 'success';
    case 'taskfailure':
      return outcome === 'failure';
    default:
      return true;
  }
}

/**
 * Uploads the task's output files whose upload condition matches the outcome, logging to
 * fileuploadout.txt / fileuploaderr.txt in the task directory as the node agent does.
 */
export async function uploadOutputFiles(
  files: M.OutputFile[] | undefined,
  outcome: Outcome,
  dirs: TaskDirs,
  nodeRoot: string,
  signal: AbortSignal,
  /** The task's user; files are read as it when it is not the emulator's. */
  user?: RunAs,
): Promise<void> {
  const log = (name: string, line: string) =>
    appendFile(join(dirs.taskDir, name), `${new Date().toISOString()} ${line}\n`).catch(
      () => undefined,
    );
  for (const spec of files ?? []) {
    if (!wanted(spec.uploadOptions?.uploadCondition, outcome)) continue;
    const container = spec.destination.container;
    if (!container) continue;
    const matches = await expandPattern(spec.filePattern, dirs.workingDir, nodeRoot);
    const wildcard = WILD.test(spec.filePattern);
    const prefix = (container.path ?? '').replace(/^\/+|\/+$/g, '');
    for (const m of matches) {
      const blobName = wildcard
        ? prefix
          ? `${prefix}/${m.relative}`
          : m.relative
        : container.path || m.relative;
      const url = blobUrl(container.containerUrl, blobName);
      const details = {
        FilePattern: spec.filePattern,
        BlobName: blobName,
        Url: redact(url.toString()),
      };
      let status: number | undefined;
      let errorCode: string | undefined;
      let message: string | undefined;
      let source: Source | undefined;
      for (let attempt = 0; ; attempt++) {
        try {
          source = await openSource(m.file, user, dirs, signal);
          ({ status, errorCode } = await putBlob(
            url,
            source,
            container.uploadHeaders ?? [],
            signal,
          ));
          if (status >= 200 && status < 300) await source.done;
          break;
        } catch (err) {
          status = undefined;
          if (signal.aborted) throw err;
          if (isStaleSocket(err) && attempt < STALE_SOCKET_RETRIES) continue;
          message = err instanceof Error ? err.message : String(err);
          break;
        } finally {
          // An upload refused part way leaves the rest unread: the helper must not wait on it.
          source?.stream.destroy();
        }
      }
      if (status !== undefined && status >= 200 && status < 300) {
        await log('fileuploadout.txt', `uploaded ${m.file} to ${details.Url}`);
        continue;
      }
      await log(
        'fileuploaderr.txt',
        `failed ${m.file} to ${details.Url}: ${status ?? ''} ${errorCode ?? message ?? ''}`,
      );
      throw new TaskFailure(
        userError(
          'FileUploadMiscError',
          'An error occurred while uploading one of the output files',
          {
            ...details,
            HttpStatusCode: status,
            ErrorCode: errorCode,
            Message: message,
          },
        ),
      );
    }
  }
}
