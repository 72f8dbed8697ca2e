// Not a test: the emulator's own CPU per task. Starts the compiled emulator (dist/main.js, as the
// product runs it) as a child process, runs N `/bin/true` tasks on 2 nodes x 16 slots, each with
// a resource file and an output file served by a tiny HTTP server here (so every per-task file
// path is taken), and reads the emulator's CPU from /proc/<pid>/stat from the first add to the
// last completion: its own, and its children's (reaped ones, and live helpers such as the
// launcher with the tasks it reaped). Build first (`npm run build` in this package).
// Run: npx tsx packages/azure-batch-emulator/test/task-cost-probe.ts [N] [--no-files]
// (PROBE_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", go to the emulator's node;
// PROBE_EMULATOR_MAIN runs another build, e.g. one of an older commit, to compare.)
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { BatchServiceModels } from '@azure/batch';
import { batchClient, poolSpec, removeDir, tempDir, waitFor } from './helpers';

const TOTAL = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 200);
const WITH_FILES = !process.argv.includes('--no-files');
const TICKS_PER_SECOND = 100;

function cpuMs(pid: number) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat
    .slice(stat.lastIndexOf(') ') + 2)
    .split(' ')
    .map(Number);
  const ms = (t: number) => (t * 1000) / TICKS_PER_SECOND;
  return { self: ms(f[11] + f[12]), children: ms(f[13] + f[14]), ppid: f[1] };
}

/** CPU of the live children of `pid` and what they reaped. */
function liveChildrenMs(pid: number): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const c = cpuMs(Number(entry));
      if (c.ppid === pid) total += c.self + c.children;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

async function main() {
  let puts = 0;
  const files = createServer((req, res) => {
    if (req.method === 'PUT') puts++;
    req.resume();
    req.on('end', () => {
      res.statusCode = req.method === 'PUT' ? 201 : 200;
      res.end(req.method === 'GET' ? 'x'.repeat(1024) : undefined);
    });
  });
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
  const filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;

  const dataDir = tempDir('probe');
  const child = spawn(
    process.execPath,
    [
      ...(process.env.PROBE_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      process.env.PROBE_EMULATOR_MAIN ?? join(__dirname, '..', 'dist', 'main.js'),
      ...['--port', '0', '--data-dir', dataDir],
    ],
    {
      env: {
        ...process.env,
        BATCH_EMULATOR_ALLOCATION_DELAY_MS: '20',
        BATCH_EMULATOR_NODE_START_DELAY_MS: '10',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const banner = await new Promise<string>((resolve) => {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c: string) => {
      out += c;
      if (out.includes('\n')) resolve(out);
    });
  });
  const m = /at (\S+) account=(\S+) key=(\S+)/.exec(banner);
  if (!m) throw new Error(`unexpected banner: ${banner}`);
  const emu = { url: m[1], accountName: m[2], accountKey: m[3] };
  const client = batchClient(emu);
  try {
    await client.pool.add(
      poolSpec('probe', {
        vmSize: 'STANDARD_D4s_v3',
        targetDedicatedNodes: 2,
        taskSlotsPerNode: 16,
      }),
    );
    await waitFor(
      'nodes idle',
      async () => {
        const nodes = await client.computeNode.list('probe');
        return nodes.length === 2 && nodes.every((n) => n.state === 'idle') ? true : undefined;
      },
      30_000,
      50,
    );
    await client.job.add({ id: 'j', poolInfo: { poolId: 'probe' } });
    const tasks: BatchServiceModels.TaskAddParameter[] = Array.from({ length: TOTAL }, (_, i) => ({
      id: `t${i}`,
      commandLine: '/bin/true',
      ...(WITH_FILES
        ? {
            resourceFiles: [{ httpUrl: `${filesUrl}/in/t${i}.bin?sig=x`, filePath: 'in.bin' }],
            outputFiles: [
              {
                filePattern: 'in.bin',
                destination: {
                  container: { containerUrl: `${filesUrl}/out?sig=x`, path: `t${i}` },
                },
                uploadOptions: { uploadCondition: 'taskcompletion' as const },
              },
            ],
          }
        : {}),
    }));
    const before = cpuMs(child.pid!);
    const liveBefore = liveChildrenMs(child.pid!);
    const t0 = Date.now();
    for (let i = 0; i < TOTAL; i += 100)
      await client.task.addCollection('j', tasks.slice(i, i + 100));
    const counts = await waitFor(
      'all completed',
      async () => {
        const c = (await client.job.getTaskCounts('j')).taskCounts;
        return c.completed >= TOTAL ? c : undefined;
      },
      300_000,
      20,
    );
    const wallMs = Date.now() - t0;
    const after = cpuMs(child.pid!);
    const liveAfter = liveChildrenMs(child.pid!);
    const per = (n: number) => (n / TOTAL).toFixed(2);
    console.log(
      JSON.stringify({
        tasks: TOTAL,
        files: WITH_FILES,
        succeeded: counts.succeeded,
        uploads: puts,
        wallMs,
        emulatorCpuMsPerTask: per(after.self - before.self),
        childrenCpuMsPerTask: per(after.children - before.children + liveAfter - liveBefore),
      }),
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    files.close();
    removeDir(dataDir);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
