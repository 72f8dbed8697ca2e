// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importGuards } from './eslint/import-guards.mjs';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      '.data/',
      'output/',
      'test-artifacts/',
      'packages/*/dist/',
      'dist/',
      '**/*.cjs',
      '**/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  ...importGuards,
);
