// The project's worker with one change, for the memory profile: the workflow code comes
// pre-bundled (`workflowBundle: { codePath }`) instead of being bundled with webpack at start.
// `node --import tsx src/bench/prebundled-worker.ts <bundle.js>`; the environment as for
// src/worker.ts.
import { NativeConnection } from '@temporalio/worker';
import { loadConfig, temporalConnection } from '../config';
import { installLogging } from '../logging';
import { createWorker } from '../worker';

async function run(codePath: string): Promise<void> {
  const config = loadConfig();
  installLogging({ level: config.logLevel });
  const { connectionOptions } = temporalConnection(config);
  const connection = await NativeConnection.connect(connectionOptions);
  try {
    const worker = await createWorker(config, connection, {
      workflowsPath: undefined,
      workflowBundle: { codePath },
    });
    console.log(`Worker on task queue ${config.temporal.taskQueue} (pre-bundled workflows).`);
    await worker.run();
  } finally {
    await connection.close();
  }
}

if (require.main === module) {
  run(process.argv[2] ?? '').catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
