// P2's baseline: the tutorial's Python script (batch_python_tutorial_ffmpeg.py) step by step in
// Node, with the same SDKs and nothing of ours: create the containers, upload the inputs one
// after another, create the pool (five low-priority nodes, ffmpeg in the start task), the job,
// one task per file with its output uploaded on success, list the tasks every second until all
// are completed, delete the input container, the job and the pool (the tutorial asks; here the
// answer is yes). Run as its own process by the bench so that its start is timed too.
//
// Environment (set by the bench): NAIVE_INPUT_DIR, NAIVE_RUN_ID, NAIVE_BATCH_URL,
// NAIVE_BATCH_ACCOUNT, NAIVE_BATCH_KEY, NAIVE_BLOB_URL, NAIVE_STORAGE_ACCOUNT, NAIVE_STORAGE_KEY.
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchServiceClient, BatchSharedKeyCredentials } from '@azure/batch';
import {
  BlobSASPermissions,
  BlobServiceClient,
  ContainerSASPermissions,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
  type ContainerClient,
} from '@azure/storage-blob';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: this program is started by the bench`);
  return value;
}

const runId = env('NAIVE_RUN_ID');
const POOL_ID = `LinuxFfmpegPool-${runId}`;
const JOB_ID = `LinuxFfmpegJob-${runId}`;
const INPUT_CONTAINER = `input-${runId}`;
const OUTPUT_CONTAINER = `output-${runId}`;
// The tutorial's settings (_POOL_VM_SIZE, _DEDICATED_POOL_NODE_COUNT, _LOW_PRIORITY_POOL_NODE_COUNT).
const POOL_VM_SIZE = 'STANDARD_A1_v2';
const DEDICATED_NODES = 0;
const LOW_PRIORITY_NODES = 5;

const storageKey = new StorageSharedKeyCredential(
  env('NAIVE_STORAGE_ACCOUNT'),
  env('NAIVE_STORAGE_KEY'),
);
const blobService = new BlobServiceClient(env('NAIVE_BLOB_URL'), storageKey);
const batch = new BatchServiceClient(
  new BatchSharedKeyCredentials(env('NAIVE_BATCH_ACCOUNT'), env('NAIVE_BATCH_KEY')),
  env('NAIVE_BATCH_URL'),
);

const inTwoHours = () => new Date(Date.now() + 2 * 3600_000);

/** upload_file_to_container: one blob, then a read SAS for it (the task's resource file). */
async function uploadFile(container: ContainerClient, file: string) {
  const blobName = path.basename(file);
  console.log(`Uploading file ${file} to container [${container.containerName}]...`);
  const blob = container.getBlockBlobClient(blobName);
  await blob.uploadFile(file);
  const sas = generateBlobSASQueryParameters(
    {
      containerName: container.containerName,
      blobName,
      permissions: BlobSASPermissions.parse('r'),
      expiresOn: inTwoHours(),
    },
    storageKey,
  );
  return { httpUrl: `${blob.url}?${sas.toString()}`, filePath: blobName };
}

async function main(): Promise<void> {
  const started = Date.now();
  console.log(`Sample start: ${new Date(started).toISOString()}`);
  const input = blobService.getContainerClient(INPUT_CONTAINER);
  const output = blobService.getContainerClient(OUTPUT_CONTAINER);
  await input.create();
  await output.create();
  const dir = env('NAIVE_INPUT_DIR');
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.mp4'))
    .sort()
    .map((f) => path.join(dir, f));
  const inputFiles = [];
  for (const file of files) inputFiles.push(await uploadFile(input, file));
  const outputSas = generateBlobSASQueryParameters(
    {
      containerName: OUTPUT_CONTAINER,
      permissions: ContainerSASPermissions.parse('w'),
      expiresOn: inTwoHours(),
    },
    storageKey,
  );
  const outputContainerSasUrl = `${output.url}?${outputSas.toString()}`;

  console.log(`Creating pool [${POOL_ID}]...`);
  await batch.pool.add({
    id: POOL_ID,
    vmSize: POOL_VM_SIZE,
    virtualMachineConfiguration: {
      imageReference: {
        publisher: 'canonical',
        offer: 'ubuntu-24_04-lts',
        sku: 'server-gen1',
        version: 'latest',
      },
      nodeAgentSKUId: 'batch.node.ubuntu 24.04',
    },
    targetDedicatedNodes: DEDICATED_NODES,
    targetLowPriorityNodes: LOW_PRIORITY_NODES,
    startTask: {
      commandLine: '/bin/bash -c "apt-get update && apt-get install -y ffmpeg"',
      waitForSuccess: true,
      userIdentity: { autoUser: { scope: 'pool', elevationLevel: 'admin' } },
    },
  });
  console.log(`Creating job [${JOB_ID}]...`);
  await batch.job.add({ id: JOB_ID, poolInfo: { poolId: POOL_ID } });

  console.log(`Adding ${inputFiles.length} tasks to job [${JOB_ID}]...`);
  await batch.task.addCollection(
    JOB_ID,
    inputFiles.map((file, idx) => {
      const outputFile = `${file.filePath.split('.').slice(0, -1).join('.')}.mp3`;
      return {
        id: `Task${idx}`,
        commandLine: `/bin/bash -c "ffmpeg -i ${file.filePath} ${outputFile} "`,
        resourceFiles: [file],
        outputFiles: [
          {
            filePattern: outputFile,
            destination: { container: { containerUrl: outputContainerSasUrl } },
            uploadOptions: { uploadCondition: 'tasksuccess' },
          },
        ],
      };
    }),
  );

  // wait_for_tasks_to_complete: list every task once a second until none is incomplete.
  process.stdout.write("Monitoring all tasks for 'Completed' state, timeout in 0:30:00...");
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    process.stdout.write('.');
    const tasks = [];
    for await (const task of pages(JOB_ID)) tasks.push(task);
    if (tasks.every((t) => t.state === 'completed')) break;
    if (Date.now() > deadline) throw new Error('ERROR: Tasks did not reach Completed state');
    await sleep(1000);
  }
  console.log("\nSuccess! All tasks reached the 'Completed' state within the timeout period.");

  console.log(`Deleting container [${INPUT_CONTAINER}]...`);
  await input.delete();
  const ended = Date.now();
  console.log(`Sample end: ${new Date(ended).toISOString()}`);
  console.log(`Elapsed time: ${((ended - started) / 1000).toFixed(1)} s`);
  // The tutorial asks "Delete job?" and "Delete pool?"; the bench answers yes to both.
  await batch.job.deleteMethod(JOB_ID);
  await batch.pool.deleteMethod(POOL_ID);
}

/** task.list, following the continuation links as the Python SDK's iterator does. */
async function* pages(jobId: string) {
  let page = await batch.task.list(jobId);
  yield* page;
  while (page.odatanextLink) {
    page = await batch.task.listNext(page.odatanextLink);
    yield* page;
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
