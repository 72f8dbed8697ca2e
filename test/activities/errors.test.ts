// How Azure errors become Temporal failures: what no retry can fix is non-retryable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchServiceClient, BatchSharedKeyCredentials } from '@azure/batch';
import { ApplicationFailure } from '@temporalio/common';
import { describeError, toActivityFailure } from '../../src/activities/errors';

function failureOf(err: unknown): ApplicationFailure {
  try {
    toActivityFailure(err, 'create pool p');
  } catch (failure) {
    assert.ok(failure instanceof ApplicationFailure);
    return failure;
  }
  assert.fail('toActivityFailure returned');
}

test("the SDK's own request checks are non-retryable and name the property", async () => {
  // A real refusal from @azure/batch 10.2.0: nothing listens on this address, and nothing is sent.
  const client = new BatchServiceClient(
    new BatchSharedKeyCredentials('acct', Buffer.from('key').toString('base64')),
    'http://127.0.0.1:9',
    { noRetryPolicy: true },
  );
  const refused = await client.pool
    .add({
      id: 'p',
      vmSize: 'STANDARD_A1_v2',
      virtualMachineConfiguration: {
        imageReference: { publisher: 5 as never },
        nodeAgentSKUId: 'batch.node.ubuntu 24.04',
      },
    })
    .then(
      () => undefined,
      (err: unknown) => err,
    );
  const failure = failureOf(refused);
  assert.equal(failure.type, 'InvalidRequest');
  assert.equal(failure.nonRetryable, true);
  assert.match(failure.message, /imageReference\.publisher.*must be of type string/);
});

test('a connection error stays retryable', () => {
  const failure = failureOf(
    Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
  );
  assert.equal(failure.nonRetryable, false);
  assert.equal(failure.type, 'AzureError');
});

test("Batch's details of a refusal are in the message: property, value and reason; long ones cut; no SAS", () => {
  const refusal = (values: Array<{ key: string; value: string }>) => ({
    statusCode: 400,
    code: 'InvalidPropertyValue',
    body: {
      code: 'InvalidPropertyValue',
      message: { value: 'The value provided for one of the properties is invalid.\nRequestId:x' },
      values,
    },
  });
  const failure = failureOf(
    refusal([
      { key: 'PropertyName', value: 'taskSlotsPerNode' },
      { key: 'PropertyValue', value: '5' },
      { key: 'Reason', value: 'must be from 1 to 4' },
    ]),
  );
  assert.equal(failure.type, 'InvalidRequest');
  assert.equal(failure.nonRetryable, true);
  assert.equal(
    failure.message,
    'create pool p: 400 InvalidPropertyValue: The value provided for one of the properties is ' +
      'invalid. (PropertyName: taskSlotsPerNode; PropertyValue: 5; Reason: must be from 1 to 4)',
  );
  const long = describeError(
    refusal([{ key: 'PropertyValue', value: `https://a/b?sv=1&sig=SECRET ${'x'.repeat(400)}` }]),
  );
  assert.ok(!long.includes('SECRET'), long);
  assert.ok(long.length < 400, `${long.length} characters`);
  assert.match(long, /…\)$/);
});
