// The local stack's keyless variant, for the Microsoft Entra ID tests (the default stack and
// `npm start` do not use it): a local token issuer, a second Azurite over HTTPS in its OAuth mode,
// and a Batch emulator that trusts the issuer's key. A worker then runs with no account key at all:
// its DefaultAzureCredential signs in at the issuer's managed-identity endpoint.
import path from 'node:path';
import { AZURITE_ACCOUNT_NAME } from '../config';
import { startAzurite, type AzuriteService } from './azurite';
import { startBatchEmulator, type BatchEmulatorService } from './batch-emulator';
import { loopbackCertificate, type LoopbackCertificate } from './tls';
import { LocalTokenIssuer, type ManagedIdentityEndpoint } from './token-issuer';

export interface EntraStack {
  issuer: LocalTokenIssuer;
  tls: LoopbackCertificate;
  /** https://127.0.0.1:PORT/devstoreaccount1, bearer tokens accepted. */
  azurite: AzuriteService;
  /** Trusts the issuer's tokens (and still the SharedKey of its dev account). */
  batch: BatchEmulatorService;
  /**
   * The configuration of a keyless worker: the accounts' endpoints, no key, the CA that signs
   * the loopback certificate, and the identity endpoint DefaultAzureCredential will use.
   */
  workerEnv(identity: ManagedIdentityEndpoint): Record<string, string>;
  stop(): Promise<void>;
}

/** Variables that would make a worker use a key or another identity: blanked (empty = unset). */
const NOT_INHERITED = [
  'AZURE_BATCH_ACCOUNT_NAME',
  'AZURE_BATCH_ACCOUNT_KEY',
  'AZURE_STORAGE_ACCOUNT_KEY',
  'AZURE_TENANT_ID',
  'AZURE_CLIENT_ID',
  'AZURE_CLIENT_SECRET',
  'AZURE_CLIENT_CERTIFICATE_PATH',
  'AZURE_FEDERATED_TOKEN_FILE',
  'AZURE_USERNAME',
  'MSI_ENDPOINT',
  'MSI_SECRET',
];

export async function startEntraStack(options: { dataDir: string }): Promise<EntraStack> {
  const dir = path.join(options.dataDir, 'entra');
  const issuer = LocalTokenIssuer.open(path.join(dir, 'issuer'));
  const tls = loopbackCertificate(path.join(dir, 'tls'));
  const azurite = await startAzurite({ dataDir: dir, tls });
  try {
    const batch = await startBatchEmulator({
      dataDir: dir,
      env: {
        BATCH_EMULATOR_TOKEN_KEY: issuer.jwksFile,
        BATCH_EMULATOR_TOKEN_ISSUER: issuer.issuer,
        // Its tasks download inputs from, and upload outputs to, the HTTPS Azurite.
        NODE_EXTRA_CA_CERTS: tls.certFile,
      },
    });
    return {
      issuer,
      tls,
      azurite,
      batch,
      workerEnv: (identity) => ({
        ...Object.fromEntries(NOT_INHERITED.map((name) => [name, ''])),
        DURABLE_BATCH_ENV_FILE: 'none',
        AZURE_BATCH_ACCOUNT_URL: batch.url,
        AZURE_STORAGE_ACCOUNT_NAME: AZURITE_ACCOUNT_NAME,
        AZURE_STORAGE_BLOB_URL: azurite.blobUrl,
        NODE_EXTRA_CA_CERTS: tls.certFile,
        // DefaultAzureCredential, narrowed to the managed identity the issuer plays.
        AZURE_TOKEN_CREDENTIALS: 'ManagedIdentityCredential',
        ...identity.env,
      }),
      stop: async () => {
        await Promise.allSettled([batch.stop(), azurite.stop()]);
      },
    };
  } catch (err) {
    await azurite.stop();
    throw err;
  }
}
