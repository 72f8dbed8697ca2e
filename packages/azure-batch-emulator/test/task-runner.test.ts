// Tasks as real processes: environment, working directories, exit codes, retries, timeouts,
// slots and preemption, driven through @azure/batch. Over 300 lines: one scenario per behaviour
// of the runner, each short.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BatchServiceModels } from '@azure/batch';
import type { BatchEmulator } from '../src/index';
import {
  batchClient,
  poolSpec,
  removeDir,
  startTestEmulator,
  waitFor,
  taskCounts,
} from './helpers';

describe('running tasks as local processes', () => {
  let emu: BatchEmulator;
  let client: ReturnType<typeof batchClient>;
  let files: Server;
  let filesUrl: string;

  const completed = (jobId: string, taskId: string, timeoutMs = 10_000) =>
    waitFor(
      `${jobId}/${taskId} completed`,
      async () => {
        const t = await client.task.get(jobId, taskId);
        return t.state === 'completed' ? t : undefined;
      },
      timeoutMs,
    );

  const stdout = async (jobId: string, taskId: string) => {
    const file = await client.file.getFromTask(jobId, taskId, 'stdout.txt');
    const chunks: Buffer[] = [];
    for await (const c of file.readableStreamBody!) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString();
  };

  before(async () => {
    files = createServer((req, res) => {
      if (req.url?.startsWith('/denied')) res.writeHead(403).end('no');
      else if (req.url?.startsWith('/ok')) res.writeHead(200).end('payload');
      else res.writeHead(404).end('missing');
    });
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
    filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
    emu = await startTestEmulator();
    client = batchClient(emu);
    await client.pool.add(poolSpec('work', { targetDedicatedNodes: 1, taskSlotsPerNode: 2 }));
    await client.job.add({
      id: 'job',
      poolInfo: { poolId: 'work' },
      commonEnvironmentSettings: [{ name: 'FROM_JOB', value: 'job-value' }],
    });
  });
  after(async () => {
    await emu.stop();
    files.close();
    removeDir(emu.dataDir);
  });

  it('gives the task the AZ_BATCH_* environment and its own settings, nothing from the host', async () => {
    process.env.EMULATOR_HOST_SECRET = 'leak';
    await client.task.add('job', {
      id: 'env',
      commandLine: '/bin/bash -c "env | sort; pwd"',
      environmentSettings: [{ name: 'FROM_TASK', value: 'task-value' }],
    });
    const t = await completed('job', 'env');
    assert.equal(t.executionInfo?.exitCode, 0);
    const out = await stdout('job', 'env');
    const env = Object.fromEntries(
      out
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    assert.equal(env.AZ_BATCH_TASK_ID, 'env');
    assert.equal(env.AZ_BATCH_JOB_ID, 'job');
    assert.equal(env.AZ_BATCH_POOL_ID, 'work');
    assert.equal(env.AZ_BATCH_NODE_ID, t.nodeInfo?.nodeId);
    assert.equal(env.AZ_BATCH_NODE_IS_DEDICATED, 'true');
    assert.equal(env.AZ_BATCH_TASK_WORKING_DIR, join(env.AZ_BATCH_TASK_DIR, 'wd'));
    assert.equal(
      env.AZ_BATCH_TASK_DIR,
      join(env.AZ_BATCH_NODE_ROOT_DIR, 'workitems/job/job-1/env'),
    );
    assert.equal(env.AZ_BATCH_NODE_SHARED_DIR, join(env.AZ_BATCH_NODE_ROOT_DIR, 'shared'));
    assert.equal(env.FROM_JOB, 'job-value');
    assert.equal(env.FROM_TASK, 'task-value');
    assert.equal(env.EMULATOR_HOST_SECRET, undefined);
    assert.ok(out.trim().endsWith(env.AZ_BATCH_TASK_WORKING_DIR));
    assert.equal(t.nodeInfo?.taskRootDirectory, 'workitems/job/job-1/env');
  });

  it('retries a nonzero exit up to maxTaskRetryCount, then fails with FailureExitCode', async () => {
    await client.task.add('job', {
      id: 'fails',
      commandLine: '/bin/bash -c "echo try >> $AZ_BATCH_NODE_SHARED_DIR/fails.log; exit 3"',
      constraints: { maxTaskRetryCount: 2 },
    });
    const t = await completed('job', 'fails');
    assert.equal(t.executionInfo?.exitCode, 3);
    assert.equal(t.executionInfo?.retryCount, 2);
    assert.ok(t.executionInfo?.lastRetryTime instanceof Date);
    assert.equal(t.executionInfo?.result, 'failure');
    assert.equal(t.executionInfo?.failureInfo?.category, 'usererror');
    assert.equal(t.executionInfo?.failureInfo?.code, 'FailureExitCode');
    const node = t.nodeInfo!.nodeId!;
    const log = readFileSync(join(emu.dataDir, 'nodes/work', node, 'shared/fails.log'), 'utf8');
    assert.equal(log, 'try\ntry\ntry\n');
  });

  it('succeeds on a retry when the second try exits 0', async () => {
    await client.task.add('job', {
      id: 'flaky',
      commandLine:
        "/bin/bash -c 'f=$AZ_BATCH_NODE_SHARED_DIR/flaky; if [ -e $f ]; then exit 0; fi; touch $f; exit 1'",
      constraints: { maxTaskRetryCount: 3 },
    });
    const t = await completed('job', 'flaky');
    assert.equal(t.executionInfo?.result, 'success');
    assert.equal(t.executionInfo?.retryCount, 1);
    assert.equal(t.executionInfo?.failureInfo, undefined);
  });

  it('kills a task at maxWallClockTime (MaxWallClockTimeExpiry), whole process group included', async () => {
    const started = Date.now();
    await client.task.add('job', {
      id: 'slow',
      commandLine: '/bin/bash -c "sleep 31.4159; echo never"',
      constraints: { maxWallClockTime: 'PT1S', maxTaskRetryCount: 3 },
    });
    const t = await completed('job', 'slow');
    assert.ok(Date.now() - started < 5000);
    assert.equal(t.executionInfo?.result, 'failure');
    assert.equal(t.executionInfo?.failureInfo?.code, 'MaxWallClockTimeExpiry');
    assert.equal(t.executionInfo?.retryCount, 0);
    await waitFor(
      'the sleep is gone',
      () =>
        execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).includes('sleep 31.4159')
          ? undefined
          : true,
      3000,
    );
  });

  it('reports a missing program as CommandProgramNotFound', async () => {
    await client.task.add('job', { id: 'noprog', commandLine: 'no-such-program-xyz --flag' });
    const t = await completed('job', 'noprog');
    assert.equal(t.executionInfo?.failureInfo?.code, 'CommandProgramNotFound');
    assert.equal(t.executionInfo?.exitCode, undefined);
  });

  it('fails apt-get in a task that is not elevated, with apt’s exit code 100', async () => {
    await client.task.add('job', {
      id: 'apt',
      commandLine: '/bin/bash -c "apt-get install -y ffmpeg"',
    });
    const t = await completed('job', 'apt');
    assert.equal(t.executionInfo?.exitCode, 100);
    const admin: BatchServiceModels.TaskAddParameter = {
      id: 'apt-admin',
      commandLine: '/bin/bash -c "apt-get install -y ffmpeg"',
      userIdentity: { autoUser: { scope: 'task', elevationLevel: 'admin' } },
    };
    await client.task.add('job', admin);
    assert.equal((await completed('job', 'apt-admin')).executionInfo?.exitCode, 0);
  });

  it('fails a task whose resource file is missing (BlobNotFound) or denied (BlobAccessDenied), without retry', async () => {
    await client.task.addCollection('job', [
      {
        id: 'rf-missing',
        commandLine: 'true',
        resourceFiles: [{ httpUrl: `${filesUrl}/missing?sig=secret`, filePath: 'in.mp4' }],
        constraints: { maxTaskRetryCount: 2 },
      },
      {
        id: 'rf-denied',
        commandLine: 'true',
        resourceFiles: [{ httpUrl: `${filesUrl}/denied`, filePath: 'in.mp4' }],
      },
      {
        id: 'rf-ok',
        commandLine: '/bin/bash -c "cat sub/in.dat"',
        resourceFiles: [{ httpUrl: `${filesUrl}/ok`, filePath: 'sub/in.dat' }],
      },
    ]);
    const missing = await completed('job', 'rf-missing');
    assert.equal(missing.executionInfo?.failureInfo?.code, 'BlobNotFound');
    assert.equal(missing.executionInfo?.failureInfo?.category, 'usererror');
    assert.equal(missing.executionInfo?.retryCount, 0);
    assert.ok(!JSON.stringify(missing.executionInfo).includes('secret'), 'SAS must not leak');
    const denied = await completed('job', 'rf-denied');
    assert.equal(denied.executionInfo?.failureInfo?.code, 'BlobAccessDenied');
    assert.equal((await completed('job', 'rf-ok')).executionInfo?.exitCode, 0);
    assert.equal(await stdout('job', 'rf-ok'), 'payload');
  });

  it('fails a task whose output upload fails with FileUploadMiscError', async () => {
    await client.task.add('job', {
      id: 'upload',
      commandLine: '/bin/bash -c "echo x > out.txt"',
      outputFiles: [
        {
          filePattern: 'out.txt',
          destination: { container: { containerUrl: `${filesUrl}/denied?sv=x` } },
          uploadOptions: { uploadCondition: 'taskcompletion' },
        },
      ],
    });
    const t = await completed('job', 'upload');
    assert.equal(t.executionInfo?.exitCode, 0);
    assert.equal(t.executionInfo?.result, 'failure');
    assert.equal(t.executionInfo?.failureInfo?.code, 'FileUploadMiscError');
  });

  it('never runs more processes on a node than taskSlotsPerNode', async () => {
    const script =
      'd=$AZ_BATCH_NODE_SHARED_DIR/running; mkdir -p $d; touch $d/$AZ_BATCH_TASK_ID; ' +
      'ls $d | wc -l >> $AZ_BATCH_NODE_SHARED_DIR/conc; sleep 0.2; rm $d/$AZ_BATCH_TASK_ID';
    await client.job.add({ id: 'slots', poolInfo: { poolId: 'work' } });
    await client.task.addCollection(
      'slots',
      Array.from({ length: 6 }, (_, i) => ({
        id: `s${i}`,
        commandLine: `/bin/bash -c '${script}'`,
      })),
    );
    let maxSeen = 0;
    await waitFor('all six done', async () => {
      const [node] = await client.computeNode.list('work');
      maxSeen = Math.max(maxSeen, node.runningTaskSlotsCount ?? 0);
      const c = await client.job.getTaskCounts('slots');
      return c.taskCounts.completed === 6 ? true : undefined;
    });
    const [node] = await client.computeNode.list('work');
    const conc = readFileSync(join(emu.dataDir, 'nodes/work', node.id!, 'shared/conc'), 'utf8')
      .trim()
      .split('\n')
      .map(Number);
    assert.equal(conc.length, 6);
    assert.ok(Math.max(...conc) <= 2, `at most 2 at once, saw ${conc.join(',')}`);
    assert.ok(maxSeen <= 2);
    assert.equal((await client.job.getTaskCounts('slots')).taskCounts.succeeded, 6);
  });

  it('terminates a running task: killed, completed with TaskEnded', async () => {
    await client.task.add('job', { id: 'long', commandLine: '/bin/bash -c "sleep 27.1828"' });
    await waitFor('long running', async () =>
      (await client.task.get('job', 'long')).state === 'running' ? true : undefined,
    );
    await client.task.terminate('job', 'long');
    const t = await client.task.get('job', 'long');
    assert.equal(t.state, 'completed');
    assert.equal(t.executionInfo?.failureInfo?.code, 'TaskEnded');
    await waitFor('process gone', () =>
      execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).includes('sleep 27.1828')
        ? undefined
        : true,
    );
  });

  it('ends the job when all tasks complete (onAllTasksComplete set by patch)', async () => {
    await client.job.add({ id: 'auto', poolInfo: { poolId: 'work' } });
    await client.task.addCollection('auto', [
      { id: 'a', commandLine: 'true' },
      { id: 'b', commandLine: 'false' },
    ]);
    await client.job.patch('auto', { onAllTasksComplete: 'terminatejob' });
    const job = await waitFor('auto job completed', async () => {
      const j = await client.job.get('auto');
      return j.state === 'completed' ? j : undefined;
    });
    assert.equal(job.executionInfo?.terminateReason, 'AllTasksComplete');
    const counts = await client.job.getTaskCounts('auto');
    assert.deepEqual(counts.taskCounts, taskCounts({ completed: 2, succeeded: 1, failed: 1 }));
  });

  it('runs the start task once per node; waitForSuccess gates scheduling; a missing package fails it', async () => {
    await client.pool.add(
      poolSpec('bad-start', {
        targetDedicatedNodes: 1,
        startTask: {
          commandLine: '/bin/bash -c "apt-get update && apt-get install -y no-such-package-xyz"',
          userIdentity: { autoUser: { scope: 'pool', elevationLevel: 'admin' } },
          waitForSuccess: true,
        },
      }),
    );
    await client.pool.add(
      poolSpec('good-start', {
        targetLowPriorityNodes: 1,
        startTask: {
          commandLine: '/bin/bash -c "echo started >> $AZ_BATCH_NODE_SHARED_DIR/start.log"',
          waitForSuccess: true,
        },
      }),
    );
    const bad = await waitFor('start task failed', async () => {
      const [n] = await client.computeNode.list('bad-start');
      return n?.state === 'starttaskfailed' ? n : undefined;
    });
    assert.equal(bad.startTaskInfo?.exitCode, 100);
    assert.equal(bad.startTaskInfo?.result, 'failure');
    assert.equal(bad.startTaskInfo?.failureInfo?.code, 'FailureExitCode');
    const good = await waitFor('node idle', async () => {
      const [n] = await client.computeNode.list('good-start');
      return n?.state === 'idle' ? n : undefined;
    });
    assert.equal(good.startTaskInfo?.result, 'success');
    assert.equal(good.isDedicated, false);
    await client.job.add({ id: 'on-bad', poolInfo: { poolId: 'bad-start' } });
    await client.task.add('on-bad', { id: 'never', commandLine: 'true' });
    await client.job.add({ id: 'on-good', poolInfo: { poolId: 'good-start' } });
    await client.task.add('on-good', { id: 'runs', commandLine: 'true' });
    await completed('on-good', 'runs');
    assert.equal((await client.task.get('on-bad', 'never')).state, 'active');
    const log = readFileSync(
      join(emu.dataDir, 'nodes/good-start', good.id!, 'shared/start.log'),
      'utf8',
    );
    assert.equal(log, 'started\n');
  });

  it('requeues the tasks of nodes a shrinking pool gives up (requeueCount), and deletes and reactivates tasks', async () => {
    await client.pool.add(poolSpec('shrink', { targetDedicatedNodes: 1 }));
    await client.job.add({ id: 'shrinking', poolInfo: { poolId: 'shrink' } });
    await client.task.add('shrinking', { id: 's', commandLine: '/bin/bash -c "sleep 13.579"' });
    await waitFor('s running', async () =>
      (await client.task.get('shrinking', 's')).state === 'running' ? true : undefined,
    );
    await client.pool.resize('shrink', { targetDedicatedNodes: 0 });
    const t = await waitFor('s requeued', async () => {
      const task = await client.task.get('shrinking', 's');
      return task.state === 'active' ? task : undefined;
    });
    assert.equal(t.executionInfo?.requeueCount, 1);
    assert.equal(t.executionInfo?.retryCount, 0);
    assert.equal((await client.computeNode.list('shrink')).length, 0);

    const del = await client.task.deleteMethod('shrinking', 's');
    assert.equal(del._response.status, 200);
    assert.equal((await client.job.getTaskCounts('shrinking')).taskCounts.active, 0);

    await client.task.add('job', { id: 'again', commandLine: '/bin/bash -c "exit 4"' });
    await completed('job', 'again');
    const re = await client.task.reactivate('job', 'again');
    assert.equal(re._response.status, 204);
    const second = await completed('job', 'again');
    assert.equal(second.executionInfo?.exitCode, 4);
  });

  it('kills running tasks when their job is deleted', async () => {
    await client.job.add({ id: 'doomed', poolInfo: { poolId: 'work' } });
    await client.task.add('doomed', { id: 'd', commandLine: '/bin/bash -c "sleep 23.456"' });
    await waitFor('doomed running', async () =>
      (await client.task.get('doomed', 'd')).state === 'running' ? true : undefined,
    );
    await client.job.deleteMethod('doomed');
    await waitFor('process gone', () =>
      execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).includes('sleep 23.456')
        ? undefined
        : true,
    );
    assert.equal(emu.stats().live.runningTasks, 0);
  });
});
