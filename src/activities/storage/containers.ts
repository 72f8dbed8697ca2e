// Containers: listed a page at a time, created when missing, deleted at cleanup.
import type { BlobItem, ContainerClient } from '@azure/storage-blob';
import { RUN_BLOB_PREFIX } from '../../transcode';
import { statusOf, toActivityFailure } from '../errors';
import type { StorageClients } from './clients';

/**
 * Every blob under a prefix, a page of 1,000 at a time: the service's default of 5,000 per page
 * made the worker's heap jump by about 65 MB on a 10,000-blob container.
 */
export async function* listBlobs(
  container: ContainerClient,
  options: { prefix?: string; includeMetadata?: boolean } = {},
): AsyncIterable<BlobItem> {
  for await (const page of container.listBlobsFlat(options).byPage({ maxPageSize: 1000 })) {
    yield* page.segment.blobItems;
  }
}

/**
 * Whether the container holds anything besides the runs' own files (`_runs/`): read from the
 * top level of its listing, a few names at a time, so a container of outputs answers at its
 * first page. A container that does not exist holds nothing.
 */
export async function holdsBlobsBesideRuns(container: ContainerClient): Promise<boolean> {
  try {
    const pages = container.listBlobsByHierarchy('/').byPage({ maxPageSize: 10 });
    for await (const page of pages) {
      if (page.segment.blobItems.length > 0) return true;
      if (page.segment.blobPrefixes?.some((p) => p.name !== RUN_BLOB_PREFIX)) return true;
    }
    return false;
  } catch (err) {
    if (statusOf(err) === 404) return false;
    throw err;
  }
}

export function createContainerActivities({ blobService }: StorageClients) {
  return {
    /** Creates the containers that do not exist yet (idempotent). */
    async ensureContainers(args: { names: string[] }): Promise<void> {
      for (const name of args.names) {
        try {
          await blobService.getContainerClient(name).createIfNotExists();
        } catch (err) {
          toActivityFailure(err, `create container ${name}`);
        }
      }
    },

    /**
     * Deletes a container only if it holds no blob (a run's output container when the run
     * produced nothing); true when this call deleted it.
     */
    async deleteContainerIfEmpty(args: { name: string }): Promise<boolean> {
      const container = blobService.getContainerClient(args.name);
      try {
        if (!(await container.exists())) return false;
        for await (const _blob of listBlobs(container)) return false;
        return (await container.deleteIfExists()).succeeded;
      } catch (err) {
        toActivityFailure(err, `delete empty container ${args.name}`);
      }
    },

    /** Deletes a container; true when it existed. */
    async deleteContainer(args: { name: string }): Promise<boolean> {
      try {
        const response = await blobService.getContainerClient(args.name).deleteIfExists();
        return response.succeeded;
      } catch (err) {
        toActivityFailure(err, `delete container ${args.name}`);
      }
    },
  };
}
