import {
  BlobServiceClient,
  ContainerSASPermissions,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
} from '@azure/storage-blob';
import type { BatchServiceModels } from '@azure/batch';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAzurite, type AzuriteService } from '../../stack/azurite';
import type { BatchEmulator } from '../index';
import { batchClient, removeDir, startTestEmulator, tempDir, waitFor } from './helpers';

const TUTORIAL_VIDEO = '/work/shared/media/LowPriVMs-4.mp4';

function clip(file: string, seconds: number): void {
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc=duration=${seconds}:size=320x240:rate=15`,
    '-f',
    'lavfi',
    '-i',
    `sine=duration=${seconds}`,
    '-shortest',
    '-c:v',
    'libx264',
    '-c:a',
    'aac',
    file,
  ]);
}

function durationOf(file: string): number {
  const out = execFileSync('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'format=duration',
    '-of',
    'default=nw=1:nk=1',
    file,
  ]);
  return Number(String(out).trim());
}

describe('the ffmpeg tutorial through @azure/batch, with Azurite for storage', () => {
  const dir = tempDir('tutorial');
  let azurite: AzuriteService;
  let emu: BatchEmulator;
  let client: ReturnType<typeof batchClient>;
  let blobs: BlobServiceClient;
  let credential: StorageSharedKeyCredential;

  const containerSas = (container: string, permissions: string) =>
    generateBlobSASQueryParameters(
      {
        containerName: container,
        permissions: ContainerSASPermissions.parse(permissions),
        expiresOn: new Date(Date.now() + 2 * 3600_000),
      },
      credential,
    ).toString();

  before(async () => {
    azurite = await startAzurite({ dataDir: join(dir, 'azurite') });
    credential = new StorageSharedKeyCredential(azurite.accountName, azurite.accountKey);
    blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
    emu = await startTestEmulator({ dataDir: join(dir, 'batch') });
    client = batchClient(emu);
  });
  after(async () => {
    await emu?.stop();
    await azurite?.stop();
    removeDir(dir);
  });

  it('converts every input MP4 to MP3 on low-priority nodes and lands the MP3s through a write-only SAS', async () => {
    const inputs = join(dir, 'InputFiles');
    mkdirSync(inputs, { recursive: true });
    copyFileSync(TUTORIAL_VIDEO, join(inputs, 'LowPriVMs-4.mp4'));
    clip(join(inputs, 'clip-1.mp4'), 3);
    clip(join(inputs, 'clip-2.mp4'), 2);
    const names = ['LowPriVMs-4.mp4', 'clip-1.mp4', 'clip-2.mp4'];

    const input = blobs.getContainerClient('input');
    const output = blobs.getContainerClient('output');
    await input.createIfNotExists();
    await output.createIfNotExists();
    const readSas = containerSas('input', 'r');
    const resourceFiles = await Promise.all(
      names.map(async (name) => {
        await input.getBlockBlobClient(name).uploadFile(join(inputs, name));
        return { filePath: name, httpUrl: `${input.getBlockBlobClient(name).url}?${readSas}` };
      }),
    );
    const outputSasUrl = `${output.url}?${containerSas('output', 'w')}`;

    // The tutorial's pool, job and tasks, field for field.
    await client.pool.add({
      id: 'LinuxFfmpegPool',
      vmSize: 'STANDARD_A1_v2',
      virtualMachineConfiguration: {
        imageReference: {
          publisher: 'Canonical',
          offer: 'UbuntuServer',
          sku: '18.04-LTS',
          version: 'latest',
        },
        nodeAgentSKUId: 'batch.node.ubuntu 18.04',
      },
      targetDedicatedNodes: 0,
      targetLowPriorityNodes: 5,
      startTask: {
        commandLine: '/bin/bash -c "apt-get update && apt-get install -y ffmpeg"',
        waitForSuccess: true,
        userIdentity: { autoUser: { scope: 'pool', elevationLevel: 'admin' } },
      },
    });
    await client.job.add({ id: 'LinuxFfmpegJob', poolInfo: { poolId: 'LinuxFfmpegPool' } });
    const tasks: BatchServiceModels.TaskAddParameter[] = resourceFiles.map((rf, idx) => {
      const out = `${rf.filePath.split('.').slice(0, -1).join('')}.mp3`;
      return {
        id: `Task${idx}`,
        commandLine: `/bin/bash -c "ffmpeg -i ${rf.filePath} ${out} "`,
        resourceFiles: [rf],
        outputFiles: [
          {
            filePattern: out,
            destination: { container: { containerUrl: outputSasUrl } },
            uploadOptions: { uploadCondition: 'tasksuccess' },
          },
        ],
      };
    });
    const added = await client.task.addCollection('LinuxFfmpegJob', tasks);
    assert.deepEqual(
      added.value?.map((r) => r.status),
      ['success', 'success', 'success'],
    );

    const done = await waitFor(
      'all tasks completed',
      async () => {
        const list = await client.task.list('LinuxFfmpegJob');
        return list.every((t) => t.state === 'completed') ? list : undefined;
      },
      60_000,
      250,
    );
    for (const t of done) {
      assert.equal(t.executionInfo?.exitCode, 0, `${t.id}: ${JSON.stringify(t.executionInfo)}`);
      assert.equal(t.executionInfo?.result, 'success');
    }

    const landed: string[] = [];
    for await (const b of output.listBlobsFlat()) landed.push(b.name);
    assert.deepEqual(landed.sort(), ['LowPriVMs-4.mp3', 'clip-1.mp3', 'clip-2.mp3']);
    const mp3 = join(dir, 'LowPriVMs-4.mp3');
    await output.getBlobClient('LowPriVMs-4.mp3').downloadToFile(mp3);
    assert.ok(Math.abs(durationOf(mp3) - 120) < 2, 'the 2-minute tutorial clip stays 2 minutes');

    const nodes = await client.computeNode.list('LinuxFfmpegPool');
    assert.equal(nodes.length, 5);
    for (const n of nodes) {
      assert.equal(n.isDedicated, false);
      assert.equal(n.startTaskInfo?.exitCode, 0);
    }
    const pool = await client.pool.get('LinuxFfmpegPool');
    assert.equal(pool.currentLowPriorityNodes, 5);
    assert.equal(pool.currentDedicatedNodes, 0);

    await client.job.deleteMethod('LinuxFfmpegJob');
    await client.pool.deleteMethod('LinuxFfmpegPool');
    await waitFor('pool gone', async () =>
      (await client.pool.exists('LinuxFfmpegPool')).body ? undefined : true,
    );
    const stats = emu.stats();
    assert.deepEqual(stats.created, { pools: 1, jobs: 1, tasks: 3 });
    assert.deepEqual(stats.operations.Pool_Add, { '201': 1 });
  });

  it('downloads a container prefix (storageContainerUrl + blobPrefix) and uploads by wildcard with a path', async () => {
    const data = blobs.getContainerClient('data');
    await data.createIfNotExists();
    for (const name of ['set/a.txt', 'set/b/c.txt', 'other/x.txt']) {
      await data.getBlockBlobClient(name).upload(name, name.length);
    }
    const results = blobs.getContainerClient('results');
    await results.createIfNotExists();
    await client.pool.add({
      id: 'wild',
      vmSize: 'STANDARD_D2s_v3',
      virtualMachineConfiguration: {
        imageReference: { publisher: 'canonical' },
        nodeAgentSKUId: 'x',
      },
      targetDedicatedNodes: 1,
    });
    await client.job.add({ id: 'wild', poolInfo: { poolId: 'wild' } });
    await client.task.add('wild', {
      id: 'copy',
      commandLine:
        '/bin/bash -c "mkdir -p out/deep && cp in/set/a.txt out/ && cp in/set/b/c.txt out/deep/ && echo done"',
      resourceFiles: [
        {
          storageContainerUrl: `${data.url}?${containerSas('data', 'rl')}`,
          blobPrefix: 'set/',
          filePath: 'in',
        },
      ],
      outputFiles: [
        {
          filePattern: 'out/**/*.txt',
          destination: {
            container: {
              containerUrl: `${results.url}?${containerSas('results', 'w')}`,
              path: 'run1',
            },
          },
          uploadOptions: { uploadCondition: 'tasksuccess' },
        },
        {
          filePattern: '../std*.txt',
          destination: {
            container: {
              containerUrl: `${results.url}?${containerSas('results', 'w')}`,
              path: 'logs',
            },
          },
          uploadOptions: { uploadCondition: 'taskcompletion' },
        },
      ],
    });
    const t = await waitFor('copy completed', async () => {
      const task = await client.task.get('wild', 'copy');
      return task.state === 'completed' ? task : undefined;
    });
    assert.equal(t.executionInfo?.exitCode, 0, JSON.stringify(t.executionInfo));
    assert.equal(t.executionInfo?.result, 'success');
    const landed: string[] = [];
    for await (const b of results.listBlobsFlat()) landed.push(b.name);
    assert.deepEqual(landed.sort(), [
      'logs/stderr.txt',
      'logs/stdout.txt',
      'run1/a.txt',
      'run1/deep/c.txt',
    ]);
    const text = await results.getBlobClient('logs/stdout.txt').downloadToBuffer();
    assert.equal(text.toString(), 'done\n');
  });
});
