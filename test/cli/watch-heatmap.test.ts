// `watch` on a real terminal (tmux) on a run of the test stack: under the progress line, one
// row of squares per node of the pool and a legend with the count of each state, read from
// the screen the way a person sees it. The tasks last long enough for the client to start.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { makeSampleClips } from '../../src/demo/samples';
import { PROJECT_ROOT } from '../../src/config';
import { cancelSignal, type TranscodeWorkflow } from '../../src/transcode';
import { testConfig } from '../helpers/stack';
import { startTestWorker } from '../helpers/worker';
import { clientEnv } from '../web/serve';

const tmux = (socket: string, ...args: string[]) =>
  promisify(execFile)('tmux', ['-L', socket, ...args]).then((r) => r.stdout);

const hasTmux = fs.existsSync('/usr/bin/tmux') || fs.existsSync('/bin/tmux');

test(
  'watch on a TTY draws the pool’s heatmap under the progress line',
  { skip: !hasTmux && 'tmux is missing', timeout: 120_000 },
  async () => {
    const config = await testConfig();
    const tw = await startTestWorker(config, 'watch-heatmap');
    const clips = fs.mkdtempSync(path.join(os.tmpdir(), 'watch-heatmap-'));
    await makeSampleClips(clips, 3, 1);
    const workflowId = `watch-heatmap-${Date.now()}`;
    const handle = await tw.client.workflow.start<TranscodeWorkflow>('transcodeWorkflow', {
      taskQueue: tw.taskQueue,
      workflowId,
      args: [
        {
          input: { localDir: clips },
          output: { commandTemplate: '/bin/bash -c "sleep 30; cp {input} {output}"' },
          pool: { lowPriorityNodes: 3 },
          cleanup: { policy: 'always' },
          polling: { minIntervalSeconds: 0.5, maxIntervalSeconds: 1 },
        },
      ],
    });
    const socket = `watch-heatmap-${process.pid}`;
    const env = clientEnv(config);
    const vars = [
      'DURABLE_BATCH_ENV_FILE',
      'TEMPORAL_ADDRESS',
      'BATCH_EMULATOR_PORT',
      'AZURITE_BLOB_PORT',
    ]
      .map((k) => `${k}=${env[k]}`)
      .join(' ');
    const command = `cd ${PROJECT_ROOT} && env ${vars} ${process.execPath} --import tsx src/cli/main.ts watch ${workflowId}; sleep 60`;
    try {
      await tmux(socket, 'new-session', '-d', '-x', '110', '-y', '30', command);
      let screen = '';
      let seen: RegExpExecArray | null = null;
      const deadline = Date.now() + 60_000;
      while (!seen && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        screen = await tmux(socket, 'capture-pane', '-p');
        // The progress line with its bar, then the squares, then the legend.
        seen =
          /^running .*tasks \d+\/3 done.*\n^nodes ([█▒░▼✖·]{3})\s*\n^ +3 nodes: (.*running.*)$/m.exec(
            screen,
          );
      }
      assert.ok(seen, `no heatmap seen on the terminal:\n${screen}`);
      assert.ok(seen[1].includes('█'), `no running node in ${seen[1]}`);
      console.log(`terminal:\n${screen.trimEnd()}`);
      // Seen: stop the run rather than wait for its tasks (it cleans up all the same).
      await handle.signal(cancelSignal, { reason: 'heatmap seen' });
      await handle.result().catch(() => undefined);
    } finally {
      await tmux(socket, 'kill-server').catch(() => undefined);
      fs.rmSync(clips, { recursive: true, force: true });
    }
  },
);
