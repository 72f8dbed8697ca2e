export declare const TEMPORAL_CLI_VERSION: string;
export declare function cacheDir(): string;
export declare function findTemporalCli(): { path: string; source: string } | undefined;
export declare function ensureEmulatorBuild(): 'up to date' | 'built';
/** Compiles src/ and bench/ into dist/ when a source changed; says what it did. */
export declare function ensureProjectBuild(root?: string): string;
export declare function onPath(command: string): string | undefined;
