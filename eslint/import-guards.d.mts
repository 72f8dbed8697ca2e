import type { Linter } from 'eslint';

export declare const importGuards: Linter.Config[];
