import type { BatchServiceModels as M } from '@azure/batch';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { findVmSize } from '../src/catalog/vm-sizes';
import type { BatchEmulator } from '../src/index';
import {
  batchClient,
  batchError,
  IMAGE,
  poolSpec,
  rawRequest,
  removeDir,
  startTestEmulator,
  type RawResponse,
} from './helpers';

type Values = { key?: string; value?: string }[];
const valueOf = (values: Values | undefined, key: string) =>
  values?.find((v) => v.key === key)?.value;

/** The tutorial's pool image (Canonical UbuntuServer 18.04-LTS): retired on Batch since 2023. */
const TUTORIAL_IMAGE: M.VirtualMachineConfiguration = {
  imageReference: {
    publisher: 'Canonical',
    offer: 'UbuntuServer',
    sku: '18.04-LTS',
    version: 'latest',
  },
  nodeAgentSKUId: 'batch.node.ubuntu 18.04',
};

interface Refusal {
  what: string;
  body: M.PoolAddParameter;
  code: 'MissingRequiredProperty' | 'InvalidPropertyValue';
  property: string;
}

const vm = (imageReference: M.ImageReference, nodeAgentSKUId = 'batch.node.ubuntu 24.04') => ({
  virtualMachineConfiguration: { imageReference, nodeAgentSKUId },
});

/** Pool bodies Batch refuses, each with the code and property name it answers with. */
const REFUSED: Refusal[] = [
  {
    what: 'an empty imageReference',
    body: poolSpec('v-empty', { ...vm({}), targetDedicatedNodes: 1 }),
    code: 'MissingRequiredProperty',
    property: 'publisher',
  },
  {
    what: 'an imageReference without offer and sku',
    body: poolSpec('v-partial', { ...vm({ publisher: 'canonical' }), targetDedicatedNodes: 1 }),
    code: 'MissingRequiredProperty',
    property: 'offer',
  },
  {
    what: 'a node agent SKU that does not exist',
    body: poolSpec('v-agent', { ...vm(IMAGE.imageReference, 'x'), targetDedicatedNodes: 1 }),
    code: 'InvalidPropertyValue',
    property: 'nodeAgentSKUId',
  },
  {
    what: 'an image with the node agent of another image',
    body: poolSpec('v-mismatch', {
      ...vm(IMAGE.imageReference, 'batch.node.ubuntu 22.04'),
      targetDedicatedNodes: 1,
    }),
    code: 'InvalidPropertyValue',
    property: 'nodeAgentSKUId',
  },
  {
    what: 'a malformed custom image id',
    body: poolSpec('v-imageid', {
      ...vm({ virtualMachineImageId: '/nope' }),
      targetDedicatedNodes: 1,
    }),
    code: 'InvalidPropertyValue',
    property: 'virtualMachineImageId',
  },
  {
    what: 'a VM size Batch does not offer',
    body: poolSpec('v-size', { vmSize: 'STANDARD_NOPE_v9', targetDedicatedNodes: 1 }),
    code: 'InvalidPropertyValue',
    property: 'vmSize',
  },
  {
    what: "the tutorial's retired Ubuntu 18.04 image",
    body: poolSpec('v-retired', {
      virtualMachineConfiguration: TUTORIAL_IMAGE,
      targetLowPriorityNodes: 5,
    }),
    code: 'InvalidPropertyValue',
    property: 'nodeAgentSKUId',
  },
  {
    what: 'a negative node count',
    body: poolSpec('v-negative', { targetDedicatedNodes: -1 }),
    code: 'InvalidPropertyValue',
    property: 'targetDedicatedNodes',
  },
  {
    what: 'autoscale without a formula',
    body: poolSpec('v-auto', { enableAutoScale: true }),
    code: 'MissingRequiredProperty',
    property: 'autoScaleFormula',
  },
  {
    what: 'autoscale with target node counts',
    body: poolSpec('v-auto-targets', {
      enableAutoScale: true,
      autoScaleFormula: '$TargetDedicatedNodes=1',
      targetDedicatedNodes: 1,
    }),
    code: 'InvalidPropertyValue',
    property: 'targetDedicatedNodes',
  },
  {
    what: 'an autoscale formula on a fixed-size pool',
    body: poolSpec('v-formula', {
      autoScaleFormula: '$TargetDedicatedNodes=1',
      targetDedicatedNodes: 1,
    }),
    code: 'InvalidPropertyValue',
    property: 'autoScaleFormula',
  },
  {
    what: 'more task slots than 4 per core (STANDARD_A1_v2 has 1)',
    body: poolSpec('v-slots', { targetDedicatedNodes: 1, taskSlotsPerNode: 5 }),
    code: 'InvalidPropertyValue',
    property: 'taskSlotsPerNode',
  },
  {
    what: 'a resize timeout under 5 minutes',
    body: poolSpec('v-timeout', { targetDedicatedNodes: 1, resizeTimeout: 'PT1M' }),
    code: 'InvalidPropertyValue',
    property: 'resizeTimeout',
  },
  {
    what: 'a start task retry count under -1',
    body: poolSpec('v-retries', {
      targetDedicatedNodes: 1,
      startTask: { commandLine: '/bin/true', maxTaskRetryCount: -2 },
    }),
    code: 'InvalidPropertyValue',
    property: 'maxTaskRetryCount',
  },
  {
    what: 'a start task resource file with two sources',
    body: poolSpec('v-sources', {
      targetDedicatedNodes: 1,
      startTask: {
        commandLine: '/bin/true',
        resourceFiles: [
          {
            httpUrl: 'https://a.example/x',
            storageContainerUrl: 'https://a.example/c',
            filePath: 'x',
          },
        ],
      },
    }),
    code: 'InvalidPropertyValue',
    property: 'httpUrl',
  },
  {
    what: 'a retired Cloud Services pool',
    body: {
      id: 'v-paas',
      vmSize: 'standard_d2_v2',
      cloudServiceConfiguration: { osFamily: '6' },
      targetDedicatedNodes: 1,
    },
    code: 'InvalidPropertyValue',
    property: 'cloudServiceConfiguration',
  },
];

function assertRefused(r: Refusal, status: number, code: string | undefined, values?: Values) {
  assert.equal(status, 400, r.what);
  assert.equal(code, r.code, r.what);
  assert.equal(valueOf(values, 'PropertyName'), r.property, r.what);
}

describe('the VM size catalogue', () => {
  it('knows the cores of each size (the quota counts them), in any case', () => {
    const cores = (name: string) => findVmSize(name)?.cores;
    assert.equal(cores('STANDARD_A1_v2'), 1);
    assert.equal(cores('standard_a8m_v2'), 8);
    assert.equal(cores('STANDARD_D2s_v3'), 2);
    assert.equal(cores('Standard_D3_v2'), 4);
    assert.equal(cores('STANDARD_D5_v2'), 16);
    assert.equal(cores('standard_ds14_v2'), 16);
    assert.equal(cores('standard_d15_v2'), 20);
    assert.equal(cores('standard_d96ads_v5'), 96);
    assert.equal(cores('standard_f72s_v2'), 72);
    assert.equal(cores('standard_b1ms'), 1);
    assert.equal(cores('standard_nc24s_v3'), 24);
    assert.equal(findVmSize('STANDARD_D5_v2')?.name, 'standard_d5_v2');
    assert.equal(findVmSize('standard_a1'), undefined, 'A0-A7 are retired');
  });
});

describe('validation: refuse what Azure refuses', () => {
  let emu: BatchEmulator;
  let client: ReturnType<typeof batchClient>;

  before(async () => {
    emu = await startTestEmulator();
    client = batchClient(emu);
  });
  after(async () => {
    await emu.stop();
    removeDir(emu.dataDir);
  });

  for (const r of REFUSED) {
    it(`refuses ${r.what} (@azure/batch and a raw signed request)`, async () => {
      const err = await batchError(client.pool.add(r.body));
      assertRefused(r, err.statusCode, err.code, err.body?.values);
      const raw = await rawRequest(emu, 'POST', '/pools', { body: r.body });
      assertRefused(r, raw.status, raw.json().code as string, raw.json().values as Values);
    });
  }

  it('names the end of life of a retired image, and creates none of the refused pools', async () => {
    const err = await batchError(
      client.pool.add(poolSpec('tutorial', { virtualMachineConfiguration: TUTORIAL_IMAGE })),
    );
    assert.equal(valueOf(err.body?.values, 'PropertyValue'), 'batch.node.ubuntu 18.04');
    assert.match(valueOf(err.body?.values, 'Reason') ?? '', /end of life on 2023-05-30/);
    const pools = await client.pool.list();
    assert.deepEqual(
      pools.map((p) => p.id),
      [],
    );
    assert.equal(emu.stats().created.pools, 0);
  });

  it('refuses a pool without node counts and without autoscale, as the REST reference says', async () => {
    const noCounts = { targetDedicatedNodes: undefined };
    const sdk = await batchError(client.pool.add(poolSpec('no-targets', noCounts)));
    assert.equal(sdk.statusCode, 400);
    assert.equal(sdk.code, 'MissingRequiredProperty');
    assert.equal(valueOf(sdk.body?.values, 'PropertyName'), 'targetDedicatedNodes');
    const raw = await rawRequest(emu, 'POST', '/pools', {
      body: poolSpec('no-targets-raw', noCounts),
    });
    assert.equal(raw.status, 400);
    assert.equal((raw.json() as { code?: string }).code, 'MissingRequiredProperty');
    await assert.rejects(client.pool.get('no-targets'));
  });

  it('checks resize, patch and update-properties bodies too', async () => {
    await client.pool.add(poolSpec('p-upd', { targetDedicatedNodes: 0 }));
    const resize = await batchError(client.pool.resize('p-upd', { targetLowPriorityNodes: -3 }));
    assert.equal(resize.statusCode, 400);
    assert.equal(valueOf(resize.body?.values, 'PropertyName'), 'targetLowPriorityNodes');
    const short = await rawRequest(emu, 'POST', '/pools/p-upd/resize', {
      body: { targetDedicatedNodes: 1, resizeTimeout: 'PT4M' },
    });
    assert.equal(short.status, 400);
    assert.equal(valueOf(short.json().values as Values, 'PropertyName'), 'resizeTimeout');
    const patch = await batchError(client.pool.patch('p-upd', { startTask: { commandLine: '' } }));
    assert.equal(patch.code, 'MissingRequiredProperty');
    assert.equal(valueOf(patch.body?.values, 'PropertyName'), 'commandLine');

    // Update properties replaces: a start task left out is removed (204, as Azure answers).
    await client.pool.patch('p-upd', { startTask: { commandLine: '/bin/true' } });
    const res = await client.pool.updateProperties('p-upd', {
      certificateReferences: [],
      applicationPackageReferences: [],
      metadata: [{ name: 'k', value: 'v' }],
    });
    assert.equal(res._response.status, 204);
    const pool = await client.pool.get('p-upd');
    assert.equal(pool.startTask, undefined);
    assert.deepEqual(pool.metadata, [{ name: 'k', value: 'v' }]);
    const missing = await rawRequest(emu, 'POST', '/pools/p-upd/updateproperties', {
      body: { metadata: [] },
    });
    assert.equal(missing.status, 400);
    assert.equal(missing.json().code, 'MissingRequiredProperty');
  });

  it('checks task bodies: id, command line, resource and output files, constraints', async () => {
    await client.job.add({ id: 'tv', poolInfo: { poolId: 'nowhere' } });
    const task = (extra: Partial<M.TaskAddParameter>): M.TaskAddParameter => ({
      id: 't',
      commandLine: '/bin/true',
      ...extra,
    });
    const cases: [string, M.TaskAddParameter, string, string][] = [
      ['bad id', task({ id: 'bad id!' }), 'InvalidPropertyValue', 'id'],
      ['id over 64', task({ id: 'x'.repeat(65) }), 'InvalidPropertyValue', 'id'],
      ['empty command line', task({ commandLine: '' }), 'MissingRequiredProperty', 'commandLine'],
      [
        'resource file without source',
        task({ resourceFiles: [{ filePath: 'a' }] }),
        'MissingRequiredProperty',
        'httpUrl',
      ],
      [
        'resource file with two sources',
        task({
          resourceFiles: [
            { autoStorageContainerName: 'c', httpUrl: 'https://a.example/x', filePath: 'x' },
          ],
        }),
        'InvalidPropertyValue',
        'httpUrl',
      ],
      [
        'httpUrl without filePath',
        task({ resourceFiles: [{ httpUrl: 'https://a.example/x' }] }),
        'MissingRequiredProperty',
        'filePath',
      ],
      [
        'output file to no URL',
        task({
          outputFiles: [
            {
              filePattern: 'out.txt',
              destination: { container: { containerUrl: 'not a url' } },
              uploadOptions: { uploadCondition: 'tasksuccess' },
            },
          ],
        }),
        'InvalidPropertyValue',
        'containerUrl',
      ],
      [
        'retry count -2',
        task({ constraints: { maxTaskRetryCount: -2 } }),
        'InvalidPropertyValue',
        'maxTaskRetryCount',
      ],
      ['no slots', task({ requiredSlots: 0 }), 'InvalidPropertyValue', 'requiredSlots'],
    ];
    for (const [what, body, code, property] of cases) {
      const err = await batchError(client.task.add('tv', body));
      assert.equal(err.statusCode, 400, what);
      assert.equal(err.code, code, what);
      assert.equal(valueOf(err.body?.values, 'PropertyName'), property, what);
      const raw = await rawRequest(emu, 'POST', '/jobs/tv/tasks', { body });
      assert.equal(raw.status, 400, what);
      assert.equal(raw.json().code, code, what);
    }
    // The SDK's own schema: uploadCondition is required, so only a raw request can leave it out.
    const noCondition = await rawRequest(emu, 'POST', '/jobs/tv/tasks', {
      body: {
        id: 't',
        commandLine: '/bin/true',
        outputFiles: [
          { filePattern: 'o', destination: { container: { containerUrl: 'https://a.example/c' } } },
        ],
      },
    });
    assert.equal(noCondition.json().code, 'MissingRequiredProperty');
    assert.equal(valueOf(noCondition.json().values as Values, 'PropertyName'), 'uploadOptions');

    // In a collection each task is judged alone; ids are unique whatever their case.
    const added = await client.task.addCollection('tv', [
      task({ id: 'Good' }),
      task({ id: 'GOOD' }),
      task({ id: 'bad', constraints: { maxTaskRetryCount: -5 } }),
    ]);
    const byId = Object.fromEntries((added.value ?? []).map((r) => [r.taskId, r]));
    assert.equal(byId.Good.status, 'success');
    assert.equal(byId.GOOD.error?.code, 'TaskExists');
    assert.equal(byId.bad.error?.code, 'InvalidPropertyValue');
    assert.equal(valueOf(byId.bad.error?.values, 'PropertyName'), 'maxTaskRetryCount');
  });

  it('checks job bodies: priority, maxParallelTasks, and terminatejob never turned off', async () => {
    const priority = await batchError(
      client.job.add({ id: 'j1', poolInfo: { poolId: 'p' }, priority: 1001 }),
    );
    assert.equal(valueOf(priority.body?.values, 'PropertyName'), 'priority');
    const parallel = await rawRequest(emu, 'POST', '/jobs', {
      body: { id: 'j1', poolInfo: { poolId: 'p' }, maxParallelTasks: 0 },
    });
    assert.equal(parallel.status, 400);
    assert.equal(valueOf(parallel.json().values as Values, 'PropertyName'), 'maxParallelTasks');
    await client.job.add({ id: 'j2', poolInfo: { poolId: 'p' } });
    await client.job.patch('j2', { onAllTasksComplete: 'terminatejob' });
    const back = await batchError(client.job.patch('j2', { onAllTasksComplete: 'noaction' }));
    assert.equal(back.code, 'InvalidPropertyValue');
    assert.equal(valueOf(back.body?.values, 'PropertyName'), 'onAllTasksComplete');
  });
});

describe('responses: answer what Azure answers', () => {
  let emu: BatchEmulator;
  let client: ReturnType<typeof batchClient>;

  before(async () => {
    emu = await startTestEmulator();
    client = batchClient(emu);
  });
  after(async () => {
    await emu.stop();
    removeDir(emu.dataDir);
  });

  it('never returns a password (user accounts, container registries, mounts)', async () => {
    const secret = 'S3cret-never-echoed';
    await client.pool.add(
      poolSpec('secrets', {
        targetDedicatedNodes: 0,
        userAccounts: [
          { name: 'alice', password: secret },
          { name: 'bob', password: secret, elevationLevel: 'admin' },
        ],
        virtualMachineConfiguration: {
          ...IMAGE,
          containerConfiguration: {
            containerRegistries: [{ registryServer: 'r.example', userName: 'u', password: secret }],
          },
        },
        mountConfiguration: [
          {
            azureBlobFileSystemConfiguration: {
              accountName: 'a',
              containerName: 'c',
              accountKey: secret,
              relativeMountPath: 'm',
            },
          },
        ],
      }),
    );
    const pool = await client.pool.get('secrets');
    assert.deepEqual(
      pool.userAccounts?.map((u) => [u.name, u.password, u.elevationLevel]),
      [
        ['alice', undefined, 'nonadmin'],
        ['bob', undefined, 'admin'],
      ],
    );
    assert.equal(
      pool.virtualMachineConfiguration?.containerConfiguration?.containerRegistries?.[0].userName,
      'u',
    );
    for (const path of ['/pools/secrets', '/pools']) {
      const raw = await rawRequest(emu, 'GET', path);
      assert.equal(raw.status, 200);
      assert.ok(!raw.text.includes(secret), `${path} echoes a secret: ${raw.text}`);
      assert.ok(!/"password"|"accountKey"/.test(raw.text), path);
    }

    await client.job.add({ id: 'sj', poolInfo: { poolId: 'secrets' } });
    await client.task.add('sj', {
      id: 'boxed',
      commandLine: '/bin/true',
      containerSettings: { imageName: 'busybox', registry: { userName: 'u', password: secret } },
    });
    const task = await rawRequest(emu, 'GET', '/jobs/sj/tasks/boxed');
    assert.ok(!task.text.includes(secret));
    assert.equal((await client.task.get('sj', 'boxed')).containerSettings?.registry?.userName, 'u');
  });

  it('fills in the defaults Azure fills in, normalises as Azure does', async () => {
    await client.pool.add(
      poolSpec('defaults', {
        targetDedicatedNodes: 0,
        startTask: { commandLine: '/bin/true' },
        virtualMachineConfiguration: {
          imageReference: { publisher: 'canonical', offer: 'ubuntu-24_04-lts', sku: 'server' },
          nodeAgentSKUId: 'batch.node.ubuntu 24.04',
        },
      }),
    );
    const pool = await client.pool.get('defaults');
    assert.equal(pool.vmSize, 'standard_a1_v2');
    assert.equal(pool.virtualMachineConfiguration?.imageReference.version, 'latest');
    assert.deepEqual(pool.startTask?.userIdentity, {
      autoUser: { scope: 'pool', elevationLevel: 'nonadmin' },
    });
    assert.equal(pool.startTask?.maxTaskRetryCount, 0);
    assert.equal(pool.startTask?.waitForSuccess, true);
    const raw = await rawRequest(emu, 'GET', '/pools/defaults');
    assert.equal(raw.headers.get('content-type'), 'application/json;odata=minimalmetadata');
    const body = raw.json() as { taskSchedulingPolicy: unknown; 'odata.metadata': string };
    assert.deepEqual(body.taskSchedulingPolicy, { nodeFillType: 'Spread' });
    assert.equal(body['odata.metadata'], `${emu.url}/$metadata#pools/@Element`);

    await client.job.add({ id: 'dj', poolInfo: { poolId: 'defaults' } });
    await client.task.add('dj', { id: 'plain', commandLine: '/bin/true' });
    await client.task.add('dj', {
      id: 'admin',
      commandLine: '/bin/true',
      userIdentity: { autoUser: { elevationLevel: 'admin' } },
    });
    const plain = await client.task.get('dj', 'plain');
    assert.deepEqual(plain.userIdentity, {
      autoUser: { scope: 'pool', elevationLevel: 'nonadmin' },
    });
    assert.deepEqual(plain.constraints, {
      maxWallClockTime: 'P10675199DT2H48M5.4775807S',
      retentionTime: 'P7D',
      maxTaskRetryCount: 0,
    });
    const admin = (await rawRequest(emu, 'GET', '/jobs/dj/tasks/admin')).json();
    assert.deepEqual(admin.userIdentity, { autoUser: { scope: 'pool', elevationLevel: 'admin' } });
  });

  it('maxResults: 1 to 1000, any case of the name; 1 pages with odata.nextLink', async () => {
    for (const id of ['m-1', 'm-2', 'm-3']) await client.pool.add(poolSpec(id));
    for (const bad of ['-5', 'abc', '0', '1001', '1.5']) {
      for (const name of ['maxResults', 'maxresults', 'MAXRESULTS']) {
        const res = await rawRequest(emu, 'GET', `/pools?${name}=${bad}`);
        assert.equal(res.status, 400, `${name}=${bad}`);
        assert.equal(res.json().code, 'InvalidQueryParameterValue');
        assert.equal(valueOf(res.json().values as Values, 'QueryParameterName'), 'maxresults');
      }
    }
    // @azure/batch checks the range itself and never sends -5.
    await assert.rejects(
      async () => client.pool.list({ poolListOptions: { maxResults: -5 } }),
      /maxResults/,
    );

    const ids: string[] = [];
    const only = encodeURIComponent("startswith(id,'m-')");
    let res: RawResponse = await rawRequest(emu, 'GET', `/pools?maxResults=1&$filter=${only}`);
    for (;;) {
      assert.equal(res.status, 200);
      const body = res.json() as { value: { id: string }[]; 'odata.nextLink'?: string };
      assert.equal(body.value.length <= 1, true);
      ids.push(...body.value.map((p) => p.id));
      const link = body['odata.nextLink'];
      if (!link) break;
      assert.match(link, /maxresults=1/i);
      res = await rawRequest(emu, 'GET', link.slice(emu.url.length), { apiVersion: null });
    }
    assert.deepEqual(ids, ['m-1', 'm-2', 'm-3']);

    let page = await client.pool.list({
      poolListOptions: { maxResults: 1, filter: "startswith(id,'m-')" },
    });
    const sdkIds = page.map((p) => p.id);
    while (page.odatanextLink) {
      assert.equal(page.length, 1);
      page = await client.pool.listNext(page.odatanextLink);
      sdkIds.push(...page.map((p) => p.id));
    }
    assert.deepEqual(sdkIds, ['m-1', 'm-2', 'm-3']);
  });

  it('GET /supportedimages lists the catalogue, with end-of-life dates', async () => {
    const images = await client.account.listSupportedImages();
    const find = (offer: string, sku: string) =>
      images.find((i) => i.imageReference.offer === offer && i.imageReference.sku === sku);
    const noble = find('ubuntu-24_04-lts', 'server');
    assert.equal(noble?.nodeAgentSKUId, 'batch.node.ubuntu 24.04');
    assert.equal(noble?.osType, 'linux');
    assert.equal(noble?.verificationType, 'verified');
    assert.equal(noble?.batchSupportEndOfLife, undefined);
    const jammy = find('0001-com-ubuntu-server-jammy', '22_04-lts');
    assert.equal(jammy?.nodeAgentSKUId, 'batch.node.ubuntu 22.04');
    assert.equal(jammy?.batchSupportEndOfLife?.toISOString(), '2027-06-30T00:00:00.000Z');
    assert.equal(find('ubuntuserver', '18.04-lts'), undefined, 'retired images are not listed');

    const raw = await rawRequest(emu, 'GET', '/supportedimages');
    assert.equal(raw.status, 200);
    const body = raw.json() as { 'odata.metadata': string; value: Record<string, unknown>[] };
    assert.equal(body['odata.metadata'], `${emu.url}/$metadata#supportedimages`);
    assert.equal(body.value.length, images.length);
    assert.deepEqual(Object.keys(body.value[0]).sort(), [
      'capabilities',
      'imageReference',
      'nodeAgentSKUId',
      'osType',
      'verificationType',
    ]);
    const verified = await rawRequest(
      emu,
      'GET',
      `/supportedimages?$filter=${encodeURIComponent("verificationType eq 'unverified'")}`,
    );
    const list = verified.json().value as { verificationType: string }[];
    assert.ok(list.length > 0 && list.every((i) => i.verificationType === 'unverified'));
    const first = await client.account.listSupportedImages({
      accountListSupportedImagesOptions: { maxResults: 2 },
    });
    assert.equal(first.length, 2);
    assert.ok(first.odatanextLink);
  });
});
