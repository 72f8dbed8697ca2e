import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SUPPORTED_API_VERSIONS, type BatchEmulator } from '../src/index';
import {
  batchClient,
  batchError,
  poolSpec,
  rawRequest,
  removeDir,
  startTestEmulator,
  waitFor,
} from './helpers';

describe('tasks and the wire protocol', () => {
  let emu: BatchEmulator;
  let client: ReturnType<typeof batchClient>;

  before(async () => {
    emu = await startTestEmulator();
    client = batchClient(emu);
    await client.pool.add(poolSpec('pool', { targetDedicatedNodes: 1, taskSlotsPerNode: 4 }));
    await client.job.add({ id: 'job', poolInfo: { poolId: 'pool' } });
    // A job whose pool does not exist: its tasks stay active.
    await client.job.add({ id: 'idle-job', poolInfo: { poolId: 'no-pool' } });
  });
  after(async () => {
    await emu.stop();
    removeDir(emu.dataDir);
  });

  it('adds a task (201) and refuses a duplicate with TaskExists', async () => {
    const res = await client.task.add('job', { id: 'one', commandLine: '/bin/echo one' });
    assert.equal(res._response.status, 201);
    assert.equal(res.dataServiceId, `${emu.url}/jobs/job/tasks/one`);
    const dup = await batchError(client.task.add('job', { id: 'ONE', commandLine: 'true' }));
    assert.equal(dup.statusCode, 409);
    assert.equal(dup.code, 'TaskExists');
    const missing = await batchError(client.task.add('nope', { id: 'x', commandLine: 'true' }));
    assert.equal(missing.code, 'JobNotFound');
  });

  it('answers addtaskcollection with 200 and a result per task', async () => {
    const res = await client.task.addCollection('idle-job', [
      { id: 't1', commandLine: 'true' },
      { id: 't2', commandLine: 'true' },
      { id: 't1', commandLine: 'true' },
      { id: 'bad/id', commandLine: 'true' },
    ]);
    assert.equal(res._response.status, 200);
    const byId = res.value!.map((r) => [r.taskId, r.status.toLowerCase(), r.error?.code]);
    assert.deepEqual(byId, [
      ['t1', 'success', undefined],
      ['t2', 'success', undefined],
      ['t1', 'clienterror', 'TaskExists'],
      ['bad/id', 'clienterror', 'InvalidPropertyValue'],
    ]);
    assert.ok(res.value![0].eTag);
    assert.equal(res.value![0].location, `${emu.url}/jobs/idle-job/tasks/t1`);
  });

  it('answers more than 100 tasks in one collection with 413 RequestBodyTooLarge', async () => {
    const value = Array.from({ length: 101 }, (_, i) => ({ id: `big${i}`, commandLine: 'true' }));
    const res = await rawRequest(emu, 'POST', '/jobs/idle-job/addtaskcollection', {
      body: { value },
    });
    assert.equal(res.status, 413);
    assert.equal(res.json().code, 'RequestBodyTooLarge');
    assert.equal((await client.job.getTaskCounts('idle-job')).taskCounts.active, 2);
  });

  it('runs a task to completed with timestamps, exit code and stdout.txt', async () => {
    const task = await waitFor('task one completes', async () => {
      const t = await client.task.get('job', 'one');
      return t.state === 'completed' ? t : undefined;
    });
    assert.equal(task.executionInfo?.exitCode, 0);
    assert.equal(task.executionInfo?.result, 'success');
    assert.equal(task.executionInfo?.retryCount, 0);
    assert.ok(task.executionInfo?.startTime && task.executionInfo.endTime);
    assert.ok(task.executionInfo.startTime <= task.executionInfo.endTime);
    assert.equal(task.previousState, 'running');
    assert.equal(task.nodeInfo?.poolId, 'pool');
    const file = await client.file.getFromTask('job', 'one', 'stdout.txt');
    const chunks: Buffer[] = [];
    for await (const c of file.readableStreamBody!) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'one\n');
    const stderr = await client.file.getPropertiesFromTask('job', 'one', 'stderr.txt');
    assert.equal(stderr.contentLength, 0);
    // A streamed operation: the SDK leaves the error body unread, so check the code raw.
    const notThere = await batchError(client.file.getFromTask('job', 'one', 'nope.txt'));
    assert.equal(notThere.statusCode, 404);
    const raw = await rawRequest(emu, 'GET', '/jobs/job/tasks/one/files/nope.txt');
    assert.equal(raw.json().code, 'FileNotFound');
  });

  it('lists tasks with $filter, $select and paging', async () => {
    await client.task.addCollection(
      'idle-job',
      Array.from({ length: 7 }, (_, i) => ({ id: `p${i}`, commandLine: 'true' })),
    );
    const first = await client.task.list('idle-job', { taskListOptions: { maxResults: 4 } });
    assert.equal(first.length, 4);
    const ids = first.map((t) => t.id);
    let link = first.odatanextLink;
    while (link) {
      const page = await client.task.listNext(link);
      ids.push(...page.map((t) => t.id));
      link = page.odatanextLink;
    }
    assert.deepEqual(ids, ['t1', 't2', 'p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);

    const completed = await client.task.list('job', {
      taskListOptions: { filter: "state eq 'completed'", select: 'id,state,executionInfo' },
    });
    assert.deepEqual(
      completed.map((t) => t.id),
      ['one'],
    );
    assert.equal(completed[0].commandLine, undefined);
    assert.equal(completed[0].executionInfo?.exitCode, 0);
    // $select names are read in any case; only those properties are written.
    const [selected] = await client.task.list('idle-job', {
      taskListOptions: { select: 'ID,State', maxResults: 1 },
    });
    assert.deepEqual(
      Object.entries(selected).filter(([, v]) => v !== undefined),
      [
        ['id', 't1'],
        ['state', 'active'],
      ],
    );
    const none = await client.task.list('idle-job', {
      taskListOptions: { filter: "state eq 'completed' or executionInfo/exitCode ne null" },
    });
    assert.equal(none.length, 0);
    const bad = await batchError(
      client.task.list('job', { taskListOptions: { filter: "state eq 'x" } }),
    );
    assert.equal(bad.code, 'InvalidQueryParameterValue');
    // Batch filters tasks on a few properties only: another one is refused, not ignored.
    const unfilterable = await batchError(
      client.task.list('job', { taskListOptions: { filter: "commandLine eq 'true'" } }),
    );
    assert.equal(unfilterable.code, 'InvalidQueryParameterValue');
  });

  it('terminates an active task (204) to completed with TaskEnded', async () => {
    const res = await client.task.terminate('idle-job', 'p6');
    assert.equal(res._response.status, 204);
    const t = await client.task.get('idle-job', 'p6');
    assert.equal(t.state, 'completed');
    assert.equal(t.executionInfo?.result, 'failure');
    assert.equal(t.executionInfo?.failureInfo?.code, 'TaskEnded');
    assert.equal((await batchError(client.task.terminate('idle-job', 'p6'))).code, 'TaskCompleted');
    assert.equal((await batchError(client.task.get('idle-job', 'nope'))).code, 'TaskNotFound');
    const counts = await client.job.getTaskCounts('idle-job');
    assert.equal(counts.taskCounts.failed, 1);
    assert.equal(counts.taskCounts.active, 8);
  });

  it('authenticates: a wrong key or no signature is 403 AuthenticationFailed', async () => {
    const wrong = batchClient(emu, Buffer.from('not the key').toString('base64'));
    const err = await batchError(wrong.pool.list());
    assert.equal(err.statusCode, 403);
    assert.equal(err.code, 'AuthenticationFailed');
    assert.equal(err.body?.values?.[0]?.key, 'AuthenticationErrorDetail');
    const unsigned = await rawRequest(emu, 'GET', '/pools', { unsigned: true });
    assert.equal(unsigned.status, 403);
    assert.equal(unsigned.json().code, 'AuthenticationFailed');
    const stale = await rawRequest(emu, 'GET', '/pools', {
      headers: { 'ocp-date': new Date(Date.now() - 3600_000).toUTCString() },
    });
    assert.equal(stale.status, 403);
  });

  it('serves every supported api-version; missing or unknown is 400', async () => {
    for (const v of SUPPORTED_API_VERSIONS) {
      const res = await rawRequest(emu, 'GET', '/jobs/job/taskcounts', { apiVersion: v });
      assert.equal(res.status, 200, v);
    }
    const missing = await rawRequest(emu, 'GET', '/pools', { apiVersion: null });
    assert.equal(missing.status, 400);
    assert.equal(missing.json().code, 'MissingRequiredQueryParameter');
    assert.deepEqual(missing.json().values, [{ key: 'QueryParameterName', value: 'api-version' }]);
    const unknown = await rawRequest(emu, 'GET', '/pools', { apiVersion: '2099-01-01.99.0' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json().code, 'UnsupportedRequestVersion');
  });

  it('speaks the 2018-12-01.8.0 shapes: maxTasksPerNode and flat task counts', async () => {
    const v = '2018-12-01.8.0';
    const add = await rawRequest(emu, 'POST', '/pools', {
      apiVersion: v,
      body: { ...poolSpec('old-pool'), maxTasksPerNode: 3 },
    });
    assert.equal(add.status, 201);
    const pool = (await rawRequest(emu, 'GET', '/pools/old-pool', { apiVersion: v })).json();
    assert.equal(pool.maxTasksPerNode, 3);
    assert.equal(pool.taskSlotsPerNode, undefined);
    assert.equal((await client.pool.get('old-pool')).taskSlotsPerNode, 3);
    const counts = (
      await rawRequest(emu, 'GET', '/jobs/idle-job/taskcounts', { apiVersion: v })
    ).json();
    assert.equal(counts.active, 8);
    assert.equal(counts.validationStatus, 'validated');
  });

  it('echoes client-request-id from either header when asked, and always sends request-id', async () => {
    const id = '11111111-2222-3333-4444-555555555555';
    const asked = await rawRequest(emu, 'GET', '/pools/pool', {
      headers: { 'x-ms-client-request-id': id, 'return-client-request-id': 'true' },
    });
    assert.equal(asked.headers.get('client-request-id'), id);
    assert.match(asked.headers.get('request-id') ?? '', /^[0-9a-f-]{36}$/);
    assert.ok(asked.headers.get('etag'));
    assert.ok(asked.headers.get('last-modified'));
    const batchName = await rawRequest(emu, 'GET', '/pools/pool', {
      headers: { 'client-request-id': id, 'return-client-request-id': 'TRUE' },
    });
    assert.equal(batchName.headers.get('client-request-id'), id);
    const notAsked = await rawRequest(emu, 'GET', '/pools/pool', {
      headers: { 'client-request-id': id },
    });
    assert.equal(notAsked.headers.get('client-request-id'), null);
    const sdk = await client.pool.get('pool', {
      poolGetOptions: { clientRequestId: id, returnClientRequestId: true },
    });
    assert.equal(sdk.clientRequestId, id);
  });

  it('answers errors with the flat Batch body (odata.metadata, code, message{lang,value})', async () => {
    const res = await rawRequest(emu, 'GET', '/jobs/nope');
    const body = res.json();
    assert.equal(res.status, 404);
    assert.match(
      String(body['odata.metadata']),
      /\$metadata#Microsoft\.Azure\.Batch\.Protocol\.Entities\.Container\.errors\/@Element$/,
    );
    assert.equal(body.code, 'JobNotFound');
    const message = body.message as { lang: string; value: string };
    assert.equal(message.lang, 'en-US');
    assert.match(
      message.value,
      /^The specified job does not exist\.\nRequestId:[0-9a-f-]{36}\nTime:/,
    );
    assert.equal(body['odata.error'], undefined);
  });

  it('reads enum values case-insensitively and keeps them canonical', async () => {
    const res = await rawRequest(emu, 'POST', '/jobs/idle-job/tasks', {
      body: {
        id: 'enums',
        commandLine: 'true',
        userIdentity: { autoUser: { scope: 'Pool', elevationLevel: 'Admin' } },
        outputFiles: [
          {
            filePattern: '*.txt',
            destination: { container: { containerUrl: 'http://127.0.0.1:1/c' } },
            uploadOptions: { uploadCondition: 'TaskCompletion' },
          },
        ],
      },
    });
    assert.equal(res.status, 201);
    const t = await client.task.get('idle-job', 'enums');
    assert.equal(t.userIdentity?.autoUser?.elevationLevel, 'admin');
    assert.equal(t.userIdentity?.autoUser?.scope, 'pool');
    assert.equal(t.outputFiles?.[0].uploadOptions.uploadCondition, 'taskcompletion');
  });

  it('answers operations it does not emulate with 501 NotImplemented', async () => {
    const res = await rawRequest(emu, 'GET', '/certificates');
    assert.equal(res.status, 501);
    assert.equal(res.json().code, 'NotImplemented');
  });

  it('counts every answer per operation and status', () => {
    const stats = emu.stats();
    assert.equal(stats.operations.Task_Add['201'] >= 2, true);
    assert.equal(stats.operations.Task_Add['409'], 1);
    assert.equal(stats.operations.Task_AddCollection['413'], 1);
    assert.equal(stats.created.pools, 2);
    assert.equal(stats.created.jobs, 2);
    assert.equal(stats.live.jobs, 2);
  });
});
