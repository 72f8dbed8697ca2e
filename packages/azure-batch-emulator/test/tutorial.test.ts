// The tutorial's program step by step against the emulator and Azurite: upload, pool with the
// ffmpeg start task, job, one task per clip, wait, outputs, cleanup. Over 300 lines: the
// tutorial's sequence is one story, told in order.
import {
  BlobServiceClient,
  ContainerSASPermissions,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
} from '@azure/storage-blob';
import type { BatchServiceModels } from '@azure/batch';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BatchEmulator } from '../src/index';
import { startAzurite, type AzuriteService } from './azurite';
import { batchClient, IMAGE, removeDir, startTestEmulator, tempDir, waitFor } from './helpers';

/** The project this package lives in (packages/azure-batch-emulator/test → the repository root). */
const PROJECT_ROOT = resolve(__dirname, '..', '..', '..');
/** Where a checkout beside a shared media folder finds the tutorial's own clip. */
const SHARED_CLIP = resolve(PROJECT_ROOT, '..', 'shared', 'media', 'LowPriVMs-4.mp4');

const isFile = (file: string) => existsSync(file) && statSync(file).isFile();

/**
 * The tutorial's 2-minute LowPriVMs-4.mp4: the file TUTORIAL_CLIP names, else ../shared/media/
 * beside the project root; with neither (or TUTORIAL_CLIP=none) a stand-in made with ffmpeg.
 */
function tutorialClip(target: string): string {
  const fromEnv = process.env.TUTORIAL_CLIP;
  const candidates = fromEnv === 'none' ? [] : [...(fromEnv ? [fromEnv] : []), SHARED_CLIP];
  const found = candidates.find(isFile);
  if (found) {
    copyFileSync(found, target);
    return `the tutorial's clip ${found}`;
  }
  standInClip(target, 120);
  const why =
    fromEnv === 'none'
      ? 'TUTORIAL_CLIP=none'
      : `no clip at ${candidates.join(' nor at ')}; TUTORIAL_CLIP=FILE names one`;
  return `a 120 s 640x360 H.264/AAC stand-in made with ffmpeg (${why})`;
}

/** Like the tutorial's clips: 640x360 H.264 video with AAC audio. */
function standInClip(file: string, seconds: number): void {
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=duration=${seconds}:size=640x360:rate=25`,
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:duration=${seconds}`,
    '-shortest',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    file,
  ]);
}

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
    azurite = await startAzurite({ dataDir: dir });
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

  it('converts every input MP4 to MP3 on low-priority nodes and lands the MP3s through a write-only SAS', async (t) => {
    const inputs = join(dir, 'InputFiles');
    mkdirSync(inputs, { recursive: true });
    t.diagnostic(`LowPriVMs-4.mp4: ${tutorialClip(join(inputs, 'LowPriVMs-4.mp4'))}`);
    const clipSeconds = durationOf(join(inputs, 'LowPriVMs-4.mp4'));
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

    // The tutorial's pool, job and tasks, field for field, except the image: its Ubuntu 18.04
    // (Canonical UbuntuServer 18.04-LTS, batch.node.ubuntu 18.04) is retired on Batch, so a user
    // following today's samples takes Ubuntu 24.04, the Gen1 sku for the Gen1-only A1_v2
    // (Azure-Samples/azure-batch-samples#328).
    await client.pool.add({
      id: 'LinuxFfmpegPool',
      vmSize: 'STANDARD_A1_v2',
      virtualMachineConfiguration: {
        imageReference: {
          publisher: 'canonical',
          offer: 'ubuntu-24_04-lts',
          sku: 'server-gen1',
          version: 'latest',
        },
        nodeAgentSKUId: 'batch.node.ubuntu 24.04',
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
    assert.ok(
      Math.abs(durationOf(mp3) - clipSeconds) < 2,
      `the ${clipSeconds} s clip stays ${clipSeconds} s long as MP3`,
    );

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
      virtualMachineConfiguration: IMAGE,
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
