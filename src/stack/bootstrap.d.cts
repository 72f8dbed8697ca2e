export declare const TEMPORAL_CLI_VERSION: string;
export declare function cacheDir(): string;
export declare function findTemporalCli(): { path: string; source: string } | undefined;
export declare function ensureEmulatorBuild(): 'up to date' | 'built';
export declare function onPath(command: string): string | undefined;
