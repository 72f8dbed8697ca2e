// A trivial workflow runs to completion on the real dev server of the test stack.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { testConfig } from './helpers/stack';
import type { smokeWorkflow } from './fixtures/smoke-workflows';

test('a workflow with an activity and a timer completes on the dev server', async () => {
  const config = await testConfig();
  const taskQueue = `smoke-${process.pid}`;
  const workerConnection = await NativeConnection.connect({ address: config.temporal.address });
  const connection = await Connection.connect({ address: config.temporal.address });
  try {
    const worker = await Worker.create({
      connection: workerConnection,
      taskQueue,
      workflowsPath: require.resolve('./fixtures/smoke-workflows'),
      activities: { greet: (name: string) => Promise.resolve(`hello, ${name}`) },
    });
    const client = new Client({ connection });
    const result = await worker.runUntil(
      client.workflow.execute<typeof smokeWorkflow>('smokeWorkflow', {
        taskQueue,
        workflowId: `smoke-${Date.now()}`,
        args: ['batch'],
      }),
    );
    assert.equal(result, 'hello, batch');
  } finally {
    await connection.close();
    await workerConnection.close();
  }
});
