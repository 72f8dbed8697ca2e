// Every blob storage call of the project: inspect and upload inputs, verify and download
// outputs, delete the input container, and make the SAS URLs Batch needs (never returned
// to the workflow). Made by a factory over the clients, so Azure and Azurite are the same code.
import { createAccessActivities } from './access';
import type { StorageClients } from './clients';
import { createContainerActivities } from './containers';
import { createInspectActivities } from './inspect';
import { createManifestActivities } from './manifest';
import { createOutputActivities } from './outputs';
import { createRecordActivities } from './records';
import { createUploadActivities } from './upload';

export type { StorageClients } from './clients';
export {
  accountKeySas,
  blobUrlWithSas,
  containerSasUrl,
  userDelegationSas,
  type SasSigner,
} from './access';
export { OUTPUTS_LISTED, type VerifiedOutputs } from './outputs';
export { deleteManifest, readManifest, readWholeManifest, writeManifest } from './manifest';
export { listBlobs } from './containers';
export { readKeptLogTail } from './task-logs';
export {
  hasRecord,
  stampRecords,
  type OutputToStamp,
  type Selection,
  type StampResult,
} from './records';
export type { TransferSummary } from './transfer';
export { UploadProgressFollower } from './upload-progress';

export function createStorageActivities(clients: StorageClients) {
  return {
    ...createAccessActivities(clients),
    ...createInspectActivities(clients),
    ...createManifestActivities(clients),
    ...createContainerActivities(clients),
    ...createUploadActivities(clients),
    ...createOutputActivities(clients),
    ...createRecordActivities(clients),
  };
}

export type StorageActivities = ReturnType<typeof createStorageActivities>;
