import type { BatchServiceModels as M } from '@azure/batch';
import type { Stats as FsStats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { Errors } from '../errors';
import type { Operation, OperationResult } from '../pipeline/types';
import { nodeRoot, taskDirs } from '../runtime/node-layout';
import { key } from '../store/types';
import { type Services, listPage } from './common';
import { FILTERABLE } from '../odata/filterable';

/** Task files (stdout.txt, stderr.txt, wd/...) read from the node directory the task ran in. */
export class FilesHandler {
  constructor(private readonly s: Services) {}

  private taskDir(op: Operation): { dir: string; url: string } {
    const job = this.s.store.getJob(op.params.jobId);
    if (!job) throw Errors.jobNotFound();
    const rec = this.s.store.getTask(job, op.params.taskId);
    if (!rec) throw Errors.taskNotFound();
    const info = rec.task.nodeInfo;
    const pool = info?.poolId ? this.s.store.getPool(info.poolId) : undefined;
    if (!info?.nodeId || !pool || !pool.nodes.has(key(info.nodeId))) throw Errors.fileNotFound();
    const root = nodeRoot(this.s.options.dataDir, pool.pool.id, info.nodeId);
    return { dir: taskDirs(root, job.job.id, rec.task.id).taskDir, url: rec.task.url! };
  }

  private async locate(op: Operation): Promise<{ path: string; st: FsStats; url: string }> {
    const { dir, url } = this.taskDir(op);
    const path = resolve(dir, op.params.filePath);
    if (path !== dir && !path.startsWith(dir + sep)) throw Errors.fileNotFound();
    try {
      return { path, st: await stat(path), url: `${url}/files/${op.params.filePath}` };
    } catch {
      throw Errors.fileNotFound();
    }
  }

  private headers(st: FsStats, url: string): Record<string, string> {
    return {
      'Content-Type': 'application/octet-stream',
      'Last-Modified': st.mtime.toUTCString(),
      'ocp-creation-time': st.birthtime.toUTCString(),
      'ocp-batch-file-isdirectory': String(st.isDirectory()),
      'ocp-batch-file-url': url,
      'ocp-batch-file-mode': (st.mode & 0o7777).toString(8),
    };
  }

  get = async (op: Operation): Promise<OperationResult> => {
    const { path, st, url } = await this.locate(op);
    if (st.isDirectory()) throw Errors.fileNotFound();
    return {
      status: 200,
      headers: this.headers(st, url),
      body: { kind: 'file', path, size: st.size },
    };
  };

  properties = async (op: Operation): Promise<OperationResult> => {
    const { st, url } = await this.locate(op);
    return {
      status: 200,
      headers: { ...this.headers(st, url), 'Content-Length': String(st.size) },
    };
  };

  list = async (op: Operation): Promise<OperationResult> => {
    const { dir, url } = this.taskDir(op);
    const recursive = (op.query.get('recursive') ?? '').toLowerCase() === 'true';
    const found: { seq: number; file: M.NodeFile }[] = [];
    const walk = async (d: string) => {
      let entries;
      try {
        entries = await readdir(d, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const full = join(d, e.name);
        const st = await stat(full);
        const name = relative(dir, full).split(sep).join('/');
        found.push({
          seq: found.length + 1,
          file: {
            name,
            url: `${url}/files/${name}`,
            isDirectory: e.isDirectory(),
            properties: {
              creationTime: st.birthtime,
              lastModified: st.mtime,
              contentLength: st.size,
              contentType: 'application/octet-stream',
              fileMode: (st.mode & 0o7777).toString(8),
            },
          },
        });
        if (recursive && e.isDirectory()) await walk(full);
      }
    };
    await walk(dir);
    return listPage(op, found, (r) => r.file, {
      mapper: 'NodeFile',
      filterable: FILTERABLE.files,
      fragment: 'files',
      selectable: false,
    });
  };
}
