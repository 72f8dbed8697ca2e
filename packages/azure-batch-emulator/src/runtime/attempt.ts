import type { BatchServiceModels as M } from '@azure/batch';
import { join } from 'node:path';
import { MAX_TIMER_MS } from '../util/duration';
import { splitCommandLine } from './command-line';
import type { TaskIdentity } from './environment';
import { TaskFailure, userError } from './failure';
import { prepareTaskDirs } from './isolation';
import type { TaskDirs } from './node-layout';
import type { ProcessTable } from './process';
import { downloadResourceFiles } from './resource-files';

export interface AttemptInput {
  processes: ProcessTable;
  commandLine: string;
  resourceFiles: M.ResourceFile[] | undefined;
  dirs: TaskDirs;
  nodeRoot: string;
  identity: TaskIdentity;
  env: Record<string, string>;
  /** From the start of the attempt, downloads included; undefined means no limit. */
  wallClockMs: number | undefined;
  signal: AbortSignal;
}

export type AttemptOutcome =
  | { kind: 'exited'; exitCode: number }
  | { kind: 'failed'; info: M.TaskFailureInformation; exitCode?: number }
  | { kind: 'aborted' };

/** The SIGKILL a timeout sends, as a shell would report it. */
const KILLED_EXIT_CODE = 137;

/** One try of a task: resource files, then the command line run directly (no shell). */
export async function runAttempt(input: AttemptInput): Promise<AttemptOutcome> {
  const local = new AbortController();
  let timedOut = false;
  const onOuterAbort = () => local.abort();
  input.signal.addEventListener('abort', onOuterAbort);
  const timer =
    input.wallClockMs !== undefined && input.wallClockMs < MAX_TIMER_MS
      ? setTimeout(() => {
          timedOut = true;
          local.abort();
        }, input.wallClockMs)
      : undefined;
  try {
    const { user, home } = input.identity;
    const { taskDir, workingDir } = input.dirs;
    const fresh = await prepareTaskDirs(input.nodeRoot, taskDir, workingDir, home, user);
    try {
      await downloadResourceFiles(input.resourceFiles, workingDir, local.signal, user, fresh);
    } catch (err) {
      if (err instanceof TaskFailure) return { kind: 'failed', info: err.info };
      if (!local.signal.aborted) throw err;
    }
    if (!local.signal.aborted) {
      let argv: string[];
      try {
        argv = splitCommandLine(input.commandLine);
      } catch (err) {
        return {
          kind: 'failed',
          info: userError(
            'CommandLaunchFailed',
            `The command line cannot be parsed: ${String(err)}`,
          ),
        };
      }
      if (argv.length === 0) {
        return {
          kind: 'failed',
          info: userError('CommandLaunchFailed', 'The command line is empty'),
        };
      }
      const result = await input.processes.run({
        argv,
        cwd: input.dirs.workingDir,
        env: input.env,
        stdoutPath: join(input.dirs.taskDir, 'stdout.txt'),
        stderrPath: join(input.dirs.taskDir, 'stderr.txt'),
        signal: local.signal,
        user: user.switched ? user : undefined,
      });
      if (result.kind === 'exited') return result;
      if (result.kind === 'spawnError') {
        const notFound = result.code === 'ENOENT';
        return {
          kind: 'failed',
          info: userError(
            notFound ? 'CommandProgramNotFound' : 'CommandLaunchFailed',
            notFound
              ? 'The specified command program is not found'
              : 'The command could not be started',
            { Program: argv[0], Message: result.message },
          ),
        };
      }
    }
    if (timedOut) {
      return {
        kind: 'failed',
        exitCode: KILLED_EXIT_CODE,
        info: userError(
          'MaxWallClockTimeExpiry',
          'The task ran longer than the maximum time allowed by its constraints',
        ),
      };
    }
    return { kind: 'aborted' };
  } finally {
    if (timer) clearTimeout(timer);
    input.signal.removeEventListener('abort', onOuterAbort);
  }
}
