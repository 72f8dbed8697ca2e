// The import guards of eslint.config.mjs catch what they are for, however deep the importing
// file sits: workflow code takes activities, the stack and clients as types only, and the
// transcode model imports none of the rooms that use it.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const root = path.resolve(__dirname, '../..');

async function problems(file: string, code: string): Promise<string[]> {
  const { importGuards } = (await import(
    path.join(root, 'eslint/import-guards.mjs')
  )) as typeof import('../../eslint/import-guards.mjs');
  const eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    // Syntax only: the guards need no type information, and the probes are not on disk.
    overrideConfig: [
      { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } },
      { plugins: { '@typescript-eslint': tseslint.plugin } },
      ...importGuards,
    ],
  });
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

const cases: Array<{ file: string; code: string; refused: boolean }> = [
  {
    file: 'src/workflows/transcode/probe.ts',
    code: "import { x } from '../../activities';",
    refused: true,
  },
  {
    file: 'src/workflows/transcode/probe.ts',
    code: "import { x } from '../../activities/batch';",
    refused: true,
  },
  { file: 'src/workflows/probe.ts', code: "import { x } from '../activities';", refused: true },
  {
    file: 'src/workflows/transcode/deep/probe.ts',
    code: "import { x } from '../../../stack/stack';",
    refused: true,
  },
  {
    file: 'src/workflows/transcode/probe.ts',
    code: "import { x } from '../../cli/watch';",
    refused: true,
  },
  {
    file: 'src/workflows/transcode/probe.ts',
    code: "import { x } from '../../config';",
    refused: true,
  },
  {
    file: 'src/workflows/transcode/probe.ts',
    code: "import { x } from 'azure-batch-emulator';",
    refused: true,
  },
  { file: 'src/workflows/transcode/probe.ts', code: "import fs from 'node:fs';", refused: true },
  {
    file: 'src/workflows/transcode/probe.ts',
    code: "import { createHash } from 'crypto';",
    refused: true,
  },
  {
    file: 'src/workflows/transcode/probe.ts',
    code: "import type { Activities } from '../../activities';",
    refused: false,
  },
  {
    file: 'src/workflows/transcode/probe.ts',
    code: "import { planTasks } from '../../transcode';",
    refused: false,
  },
  {
    file: 'src/workflows/transcode/probe.ts',
    code: "import { sleep } from '@temporalio/workflow';",
    refused: false,
  },
  {
    file: 'src/transcode/probe.ts',
    code: "import type { RunState } from '../workflows/transcode/state';",
    refused: true,
  },
  {
    file: 'src/transcode/probe.ts',
    code: "import type { Activities } from '../activities';",
    refused: true,
  },
  { file: 'src/transcode/probe.ts', code: "import { x } from '../bench/run';", refused: true },
  { file: 'src/transcode/probe.ts', code: "import path from 'node:path';", refused: true },
  {
    file: 'src/transcode/probe.ts',
    code: "import type { TaskPlan } from './task-plan';",
    refused: false,
  },
  { file: 'src/activities/probe.ts', code: "import fs from 'node:fs';", refused: false },
];

for (const { file, code, refused } of cases) {
  test(`${file}: ${code} is ${refused ? 'refused' : 'allowed'}`, async () => {
    const found = await problems(file, code);
    if (refused) {
      assert.ok(
        found.some((m) => m.startsWith('@typescript-eslint/no-restricted-imports')),
        `expected a restricted-import error, got ${JSON.stringify(found)}`,
      );
    } else {
      assert.deepEqual(found, []);
    }
  });
}
