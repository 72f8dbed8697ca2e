// `npm run stack`: the local stack in the foreground, one line per service, Ctrl-C stops it all.
import { ConfigError, loadConfig } from '../config';
import { startLocalStack } from './stack';

async function run(): Promise<void> {
  const config = loadConfig();
  console.log(`Starting the local stack (data in ${config.stack.dataDir})...`);
  const stack = await startLocalStack({
    ...config.stack,
    reuse: true,
    onServiceReady: (name, url) => console.log(`  ${name.padEnd(22)} ${url}`),
  });
  console.log('Ready. Press Ctrl-C to stop.');
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the local stack...`);
    stack.stop().then(
      () => {
        console.log('Stopped.');
        process.exit(0);
      },
      (err: unknown) => {
        console.error('Failed to stop cleanly:', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

run().catch((err: unknown) => {
  console.error(err instanceof ConfigError || err instanceof Error ? err.message : err);
  process.exit(1);
});
