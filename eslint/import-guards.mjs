// @ts-check
// Which room may import which. Workflow code runs in Temporal's deterministic sandbox: Node
// built-ins there are bugs, and activities, the stack and the CLI are reached as types only.
// The transcode model is imported by every room, workflow code included, so it imports none.

const nodeBuiltins = [
  'assert',
  'buffer',
  'child_process',
  'cluster',
  'crypto',
  'dgram',
  'dns',
  'events',
  'fs',
  'fs/promises',
  'http',
  'http2',
  'https',
  'net',
  'os',
  'path',
  'perf_hooks',
  'process',
  'readline',
  'stream',
  'timers',
  'tls',
  'url',
  'util',
  'v8',
  'vm',
  'worker_threads',
  'zlib',
].flatMap((name) => [name, `node:${name}`]);

/** Relative paths into a room, however deep the importing file sits. */
const room = (name) => [`**/${name}`, `**/${name}/**`, `${name}`, `${name}/**`];

const outsideWorkflowCode = [
  ...room('activities'),
  ...room('stack'),
  ...room('cli'),
  ...room('bench'),
  ...room('demo'),
  '**/config',
  '**/azure-clients',
  '**/worker',
  '**/logging',
  'azure-batch-emulator',
  'azure-batch-emulator/**',
];

/** @type {import('eslint').Linter.Config[]} */
export const importGuards = [
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins,
          patterns: [
            {
              group: outsideWorkflowCode,
              message: 'Workflow code imports activities, the stack and clients as types only.',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/transcode/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins,
          patterns: [
            {
              group: [...outsideWorkflowCode, ...room('workflows')],
              message: 'The transcode model imports none of the rooms that use it.',
            },
          ],
        },
      ],
    },
  },
];
