// Every default of a run in one place: the tutorial's pool, image, command and timeouts, and
// the polling that keeps a long run's history small. The plan, the client and the bench read
// them from here.
import type { ImageSpec } from './input';

/**
 * Ubuntu 24.04: the tutorial's 18.04 image is retired on Azure Batch, 22.04 retires in 2027.
 * The Gen1 build: the tutorial's VM size (Av2) boots Generation 1 images only.
 */
export const DEFAULT_IMAGE: ImageSpec = {
  publisher: 'canonical',
  offer: 'ubuntu-24_04-lts',
  sku: 'server-gen1',
  version: 'latest',
  nodeAgentSkuId: 'batch.node.ubuntu 24.04',
};

export const TUTORIAL_DEFAULTS = {
  pattern: '*.mp4',
  extension: 'mp3',
  /** `{input}` and `{output}` become fixed, shell-safe local names on the node. */
  commandTemplate: '/bin/bash -c "ffmpeg -hide_banner -nostdin -y -i {input} {output}"',
  pool: {
    vmSize: 'STANDARD_A1_v2',
    dedicatedNodes: 0,
    lowPriorityNodes: 5,
    taskSlotsPerNode: 1,
    image: DEFAULT_IMAGE,
    startTaskCommand: '/bin/bash -c "apt-get update && apt-get install -y ffmpeg"',
    allocationTimeoutMinutes: 20,
  },
  timeoutMinutes: 30,
  /** Outputs stored from the same input and recipe are reused, not converted again. */
  force: false,
  /** No failure limit: every task runs; Batch retries a failed task once. */
  failures: { taskRetries: 1 },
  cleanup: {
    policy: 'ask',
    decisionTimeoutMinutes: 60,
    defaultDecision: 'delete',
    /** The nodes go while a decision is awaited: the pool stays for inspection, at no cost. */
    keepNodesWhileWaiting: false,
  },
  /** Prices are the user's to give (they vary by region and agreement); the currency is a label. */
  cost: { currency: 'USD' },
  polling: {
    minIntervalSeconds: 0.25,
    maxIntervalSeconds: 15,
    /** A run stays under 500 events with room for the results and cleanup. */
    maxHistoryEvents: 400,
    callTimeoutSeconds: 30,
    heartbeatTimeoutSeconds: 30,
  },
} as const;

/** How the inputs go up: tuning a test or the bench may override (StorageClients.upload). */
export interface UploadTuning {
  /** Files uploaded (or downloaded) at once. */
  filesAtOnce: number;
  /** Files up to this size go in one request, sent from memory. */
  singleShotBytes: number;
  /**
   * Bigger files go in blocks of this size with ids fixed by the content and the index, so a
   * retried attempt finds the blocks an earlier one staged and sends only the rest.
   */
  blockBytes: number;
  /** Blocks of one file sent at once. */
  blocksAtOnce: number;
}

export const UPLOAD_DEFAULTS: Readonly<UploadTuning> = {
  filesAtOnce: 8,
  singleShotBytes: 32 * 1024 * 1024,
  // What a kill can waste is about blocksAtOnce blocks per big file in flight.
  blockBytes: 4 * 1024 * 1024,
  blocksAtOnce: 4,
};

/** The polling defaults alone (the bench replays them). */
export const DEFAULT_POLLING = TUTORIAL_DEFAULTS.polling;
