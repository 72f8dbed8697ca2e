import type { BatchServiceModels as M } from '@azure/batch';

/**
 * The images and node agents Batch supports, with the end-of-life dates Batch published for them
 * (Azure/Batch retirement notices: #61 Ubuntu 14.04, #106 16.04, #152 18.04, #174 20.04, #200
 * 22.04, #179 Windows Server 2012, #197 Windows Server 2016; CentOS 7 and Debian 10 from the
 * `batchSupportEndOfLife` the service returned in 2022-2023). `batchSupportEndOfLife` is "the
 * time when the Azure Batch service will stop accepting create Pool requests for the Image"
 * (swagger ImageInformation), so Pool_Add refuses an image or node agent past it, and
 * GET /supportedimages stops listing it, as the service stopped listing 18.04 after 2023-05-30.
 */
export interface NodeAgent {
  id: string;
  osType: M.OSType;
  /** ISO date; from then on no new pool may use it. */
  endOfLife?: string;
}

export interface CatalogImage {
  publisher: string;
  offer: string;
  sku: string;
  nodeAgentSKUId: string;
  osType: M.OSType;
  verificationType: M.VerificationType;
  capabilities?: string[];
  /** ISO date, as the service returns it in `batchSupportEndOfLife`. */
  batchSupportEndOfLife?: string;
}

const agent = (id: string, osType: M.OSType, endOfLife?: string): NodeAgent => ({
  id,
  osType,
  endOfLife,
});

export const NODE_AGENTS: NodeAgent[] = [
  agent('batch.node.ubuntu 24.04', 'linux'),
  agent('batch.node.ubuntu 22.04', 'linux', '2027-06-30T00:00:00Z'),
  agent('batch.node.ubuntu 20.04', 'linux', '2025-04-23T00:00:00Z'),
  agent('batch.node.ubuntu 18.04', 'linux', '2023-05-30T00:00:00Z'),
  agent('batch.node.ubuntu 16.04', 'linux', '2021-05-21T00:00:00Z'),
  agent('batch.node.ubuntu 14.04', 'linux', '2019-08-01T00:00:00Z'),
  agent('batch.node.el 9', 'linux'),
  agent('batch.node.centos 7', 'linux', '2024-06-30T00:00:00Z'),
  agent('batch.node.debian 10', 'linux', '2022-09-30T00:00:00Z'),
  agent('batch.node.windows amd64', 'windows'),
];

const GEN2 = 'Generation2VMImage';
const HPC = ['DockerCompatible', 'SupportsRDMAOnly', GEN2, 'IntelMPIRuntimeInstalled'];

function image(
  publisher: string,
  offer: string,
  sku: string,
  nodeAgentSKUId: string,
  extra: Partial<Pick<CatalogImage, 'verificationType' | 'capabilities'>> = {},
): CatalogImage {
  const a = NODE_AGENTS.find((n) => n.id === nodeAgentSKUId)!;
  return {
    publisher,
    offer,
    sku,
    nodeAgentSKUId,
    osType: a.osType,
    verificationType: extra.verificationType ?? 'verified',
    ...(extra.capabilities ? { capabilities: extra.capabilities } : {}),
    ...(a.endOfLife ? { batchSupportEndOfLife: a.endOfLife } : {}),
  };
}

const U24 = 'batch.node.ubuntu 24.04';
const U22 = 'batch.node.ubuntu 22.04';
const U20 = 'batch.node.ubuntu 20.04';
const U18 = 'batch.node.ubuntu 18.04';
const WIN = 'batch.node.windows amd64';

export const IMAGES: CatalogImage[] = [
  // Ubuntu 24.04: `server` is the Gen2 image, `server-gen1` the one for Gen1-only sizes such as
  // the Av2 and Dv2 families (Azure-Samples/azure-batch-samples#328).
  image('canonical', 'ubuntu-24_04-lts', 'server', U24, { capabilities: [GEN2] }),
  image('canonical', 'ubuntu-24_04-lts', 'server-gen1', U24),
  image('microsoft-dsvm', 'ubuntu-hpc', '2404', U24, { capabilities: HPC }),
  image('canonical', '0001-com-ubuntu-server-jammy', '22_04-lts', U22),
  image('canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2', U22, {
    verificationType: 'unverified',
    capabilities: [GEN2],
  }),
  image('microsoft-dsvm', 'ubuntu-hpc', '2204', U22, { capabilities: HPC }),
  image('canonical', '0001-com-ubuntu-server-focal', '20_04-lts', U20),
  image('canonical', '0001-com-ubuntu-server-focal', '20_04-lts-gen2', U20, {
    capabilities: [GEN2],
  }),
  image('microsoft-azure-batch', 'ubuntu-server-container', '20-04-lts', U20, {
    capabilities: ['DockerCompatible', 'NvidiaTeslaDriverInstalled', 'NvidiaGridDriverInstalled'],
  }),
  // The tutorial's image (its sku was 16.04.0-LTS, then 16.04-LTS, then 18.04-LTS).
  image('canonical', 'ubuntuserver', '18.04-lts', U18),
  image('canonical', 'ubuntuserver', '18_04-lts-gen2', U18, {
    verificationType: 'unverified',
    capabilities: [GEN2],
  }),
  image('canonical', 'ubuntuserver', '16.04-lts', 'batch.node.ubuntu 16.04'),
  image('canonical', 'ubuntuserver', '16.04.0-lts', 'batch.node.ubuntu 16.04'),
  image('canonical', 'ubuntuserver', '14.04.5-lts', 'batch.node.ubuntu 14.04'),
  image('almalinux', 'almalinux', '9-gen1', 'batch.node.el 9'),
  image('almalinux', 'almalinux', '9-gen2', 'batch.node.el 9', {
    verificationType: 'unverified',
    capabilities: [GEN2],
  }),
  image('openlogic', 'centos', '7_9', 'batch.node.centos 7'),
  image('debian', 'debian-10', '10', 'batch.node.debian 10'),
  image('microsoftwindowsserver', 'windowsserver', '2022-datacenter', WIN),
  image('microsoftwindowsserver', 'windowsserver', '2022-datacenter-smalldisk', WIN),
  image('microsoftwindowsserver', 'windowsserver', '2019-datacenter', WIN),
  image('microsoftwindowsserver', 'windowsserver', '2019-datacenter-smalldisk', WIN),
  {
    ...image('microsoftwindowsserver', 'windowsserver', '2016-datacenter', WIN),
    batchSupportEndOfLife: '2027-01-12T00:00:00Z',
  },
  {
    ...image('microsoftwindowsserver', 'windowsserver', '2016-datacenter-smalldisk', WIN),
    batchSupportEndOfLife: '2027-01-12T00:00:00Z',
  },
  {
    ...image('microsoftwindowsserver', 'windowsserver', '2012-r2-datacenter', WIN),
    batchSupportEndOfLife: '2024-12-05T00:00:00Z',
  },
];

const same = (a: string | undefined, b: string) => (a ?? '').toLowerCase() === b.toLowerCase();

export function findNodeAgent(id: string | undefined): NodeAgent | undefined {
  return NODE_AGENTS.find((a) => same(id, a.id));
}

/** The catalogue entry for a Marketplace image (publisher, offer and sku, any case). */
export function findImage(ref: M.ImageReference): CatalogImage | undefined {
  return IMAGES.find(
    (i) => same(ref.publisher, i.publisher) && same(ref.offer, i.offer) && same(ref.sku, i.sku),
  );
}

export function isPastEndOfLife(date: string | undefined, now: Date): boolean {
  return date !== undefined && now.getTime() >= Date.parse(date);
}

/** What GET /supportedimages lists now: every image Batch still accepts pools for. */
export function supportedImages(now: Date): M.ImageInformation[] {
  return IMAGES.filter(
    (i) =>
      !isPastEndOfLife(i.batchSupportEndOfLife, now) &&
      !isPastEndOfLife(findNodeAgent(i.nodeAgentSKUId)?.endOfLife, now),
  ).map((i) => ({
    nodeAgentSKUId: i.nodeAgentSKUId,
    imageReference: { publisher: i.publisher, offer: i.offer, sku: i.sku, version: 'latest' },
    osType: i.osType,
    ...(i.capabilities ? { capabilities: i.capabilities } : {}),
    ...(i.batchSupportEndOfLife
      ? { batchSupportEndOfLife: new Date(i.batchSupportEndOfLife) }
      : {}),
    verificationType: i.verificationType,
  }));
}
