import type { EmulatorOptions } from './config';
import type { FaultSettings, FaultSettingsInput } from './faults';
import { BatchEmulatorServer, type EmulatorStats } from './server';

export {
  DEV_BATCH_ACCOUNT_KEY,
  DEV_BATCH_ACCOUNT_NAME,
  EMULATOR_SERVICE_NAME,
  SUPPORTED_API_VERSIONS,
  type EmulatorOptions,
} from './config';
export { BATCH_AUDIENCE, parseTrustedKeys, type TokenTrust, type TrustedKey } from './auth/bearer';
export type { FaultSettings, FaultSettingsInput } from './faults';
export type { EmulatorStats } from './server';
// The control-plane client, for an emulator in another process (also `azure-batch-emulator/control`).
export {
  EmulatorControl,
  EmulatorControlError,
  createdSince,
  emulatorStats,
  operationCount,
  setEmulatorFaults,
  waitUntilNoJobs,
  type EmulatorHealth,
} from './control';

/** A running emulator. */
export interface BatchEmulator {
  /** http://127.0.0.1:PORT: pass it as the Batch account URL. */
  url: string;
  accountName: string;
  accountKey: string;
  dataDir: string;
  /** Stops serving and kills every task process; the state stays on disk for a restart. */
  stop(): Promise<void>;
  /** Forgets all pools, jobs, tasks, statistics and fault settings. */
  reset(): Promise<void>;
  stats(): EmulatorStats;
  /** Replaces the fault settings (missing fields take their defaults). */
  setFaults(settings: FaultSettingsInput): FaultSettings;
}

/** Starts the Azure Batch emulator on loopback (a free port unless one is given). */
export async function startBatchEmulator(opts: EmulatorOptions): Promise<BatchEmulator> {
  const server = new BatchEmulatorServer(opts);
  await server.start();
  const info = server.info();
  return {
    ...info,
    stop: () => server.stop(),
    reset: () => server.reset(),
    stats: () => server.stats(),
    setFaults: (settings) => server.faults.replace(settings),
  };
}
