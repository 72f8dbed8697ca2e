import type { BatchServiceModels as M } from '@azure/batch';
import { findImage, findNodeAgent, isPastEndOfLife } from '../catalog/images';
import { findVmSize, type VmSize } from '../catalog/vm-sizes';
import {
  checkDuration,
  checkId,
  checkInt,
  checkStartTask,
  invalid,
  missing,
  requireText,
} from './common';

const MINUTE = 60_000;
/** "The minimum value is 5 minutes" (resizeTimeout); autoscale evaluates every 5 min to 168 h. */
const MIN_RESIZE_TIMEOUT_MS = 5 * MINUTE;
const MAX_SLOTS_PER_NODE = 256;

const day = (iso: string) => iso.slice(0, 10);

/** The custom image forms Batch accepts for virtualMachineImageId. */
const IMAGE_ID =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Compute\/(images\/[^/]+|galleries\/[^/]+\/images\/[^/]+(\/versions\/[^/]+)?)$/i;

/**
 * The image: a complete Marketplace reference (publisher, offer and sku) or a custom image id,
 * a node agent Batch knows, neither past its end of life, and the agent the image runs with.
 * An image absent from the catalogue is accepted with a known agent: Batch also takes
 * Marketplace images it does not list (it would fail at allocation if there were none).
 */
function checkVirtualMachineConfiguration(vm: M.VirtualMachineConfiguration, now: Date): void {
  const at = 'virtualMachineConfiguration';
  const ref = vm.imageReference;
  const marketplace = (['publisher', 'offer', 'sku'] as const).filter((k) => ref[k] !== undefined);
  if (ref.virtualMachineImageId !== undefined) {
    if (marketplace.length > 0) {
      throw invalid(
        `${at}.imageReference.${marketplace[0]}`,
        ref[marketplace[0]],
        'virtualMachineImageId is mutually exclusive with publisher, offer, sku and version',
      );
    }
    if (!IMAGE_ID.test(ref.virtualMachineImageId)) {
      throw invalid(
        `${at}.imageReference.virtualMachineImageId`,
        ref.virtualMachineImageId,
        'must be the ARM id of an image (/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Compute/images/{name}) or of a Compute Gallery image or image version',
      );
    }
  } else {
    for (const k of ['publisher', 'offer', 'sku'] as const)
      requireText(`${at}.imageReference.${k}`, ref[k]);
  }
  requireText(`${at}.nodeAgentSKUId`, vm.nodeAgentSKUId);
  const agent = findNodeAgent(vm.nodeAgentSKUId);
  if (!agent) {
    throw invalid(
      `${at}.nodeAgentSKUId`,
      vm.nodeAgentSKUId,
      'not a node agent SKU the Batch service supports (GET /supportedimages lists them)',
    );
  }
  if (agent.endOfLife && isPastEndOfLife(agent.endOfLife, now)) {
    throw invalid(
      `${at}.nodeAgentSKUId`,
      vm.nodeAgentSKUId,
      `the node agent SKU reached its Batch support end of life on ${day(agent.endOfLife)}: no new pools can use it (GET /supportedimages lists the supported images)`,
    );
  }
  if (ref.virtualMachineImageId !== undefined) return;
  const listed = findImage(ref);
  if (!listed) return;
  if (listed.nodeAgentSKUId !== agent.id) {
    throw invalid(
      `${at}.nodeAgentSKUId`,
      vm.nodeAgentSKUId,
      `the image ${listed.publisher}/${listed.offer}/${listed.sku} runs with node agent SKU '${listed.nodeAgentSKUId}'`,
    );
  }
  if (isPastEndOfLife(listed.batchSupportEndOfLife, now)) {
    throw invalid(
      `${at}.imageReference.sku`,
      ref.sku,
      `the image reached its Batch support end of life on ${day(listed.batchSupportEndOfLife!)}: no new pools can use it`,
    );
  }
}

/** Fixed size (targets) or autoscale (formula), never both. */
function checkScale(p: M.PoolAddParameter): void {
  checkInt('targetDedicatedNodes', p.targetDedicatedNodes, 0);
  checkInt('targetLowPriorityNodes', p.targetLowPriorityNodes, 0);
  if (p.enableAutoScale) {
    if (p.autoScaleFormula === undefined) throw missing('autoScaleFormula');
    for (const name of ['targetDedicatedNodes', 'targetLowPriorityNodes'] as const) {
      if (p[name] !== undefined) {
        throw invalid(name, p[name], 'must not be specified when enableAutoScale is true');
      }
    }
    checkDuration(
      'autoScaleEvaluationInterval',
      p.autoScaleEvaluationInterval,
      5 * MINUTE,
      168 * 60 * MINUTE,
      'from 5 minutes to 168 hours',
    );
    // Batch would evaluate the formula; its language is not emulated.
    throw invalid(
      'enableAutoScale',
      true,
      'autoscale is not emulated by this emulator; set targetDedicatedNodes or targetLowPriorityNodes',
    );
  }
  for (const name of ['autoScaleFormula', 'autoScaleEvaluationInterval'] as const) {
    if (p[name] !== undefined) {
      throw invalid(name, p[name], 'must not be specified unless enableAutoScale is true');
    }
  }
  // The REST reference: without autoscale, targetDedicatedNodes, targetLowPriorityNodes or both
  // must be set. Recordings of the service have taken such a pool as 0/0; we follow the
  // documented rule, the stricter one (a body the documentation calls invalid is a bug).
  if (p.targetDedicatedNodes === undefined && p.targetLowPriorityNodes === undefined) {
    throw missing('targetDedicatedNodes');
  }
}

function checkUserAccounts(accounts: M.UserAccount[] | undefined): void {
  const seen = new Set<string>();
  for (const [i, u] of (accounts ?? []).entries()) {
    requireText(`userAccounts[${i}].name`, u.name);
    requireText(`userAccounts[${i}].password`, u.password);
    const k = u.name.toLowerCase();
    if (seen.has(k)) throw invalid(`userAccounts[${i}].name`, u.name, 'user names must be unique');
    seen.add(k);
  }
}

export function checkResizeTimeout(value: string | undefined): void {
  checkDuration(
    'resizeTimeout',
    value,
    MIN_RESIZE_TIMEOUT_MS,
    Number.MAX_VALUE,
    'of 5 minutes or more',
  );
}

/** Pool_Add beyond the schema; returns the VM size as Batch keeps it (lower-case). */
export function checkPoolAdd(p: M.PoolAddParameter, now: Date): VmSize {
  checkId('id', p.id);
  requireText('vmSize', p.vmSize);
  const size = findVmSize(p.vmSize);
  if (!size) {
    throw invalid('vmSize', p.vmSize, 'not a VM size the Batch service offers for pools');
  }
  if (p.cloudServiceConfiguration) {
    throw invalid(
      'cloudServiceConfiguration',
      p.cloudServiceConfiguration.osFamily,
      'Cloud Services Configuration pools were retired on 2024-02-29: use virtualMachineConfiguration',
    );
  }
  if (!p.virtualMachineConfiguration) throw missing('virtualMachineConfiguration');
  checkVirtualMachineConfiguration(p.virtualMachineConfiguration, now);
  checkScale(p);
  checkResizeTimeout(p.resizeTimeout);
  // "The maximum value is the smaller of 4 times the number of cores of the vmSize or 256."
  const maxSlots = Math.min(4 * size.cores, MAX_SLOTS_PER_NODE);
  checkInt('taskSlotsPerNode', p.taskSlotsPerNode, 1, maxSlots);
  checkStartTask('startTask', p.startTask);
  checkUserAccounts(p.userAccounts);
  return size;
}

export function checkPoolResize(p: M.PoolResizeParameter): void {
  checkInt('targetDedicatedNodes', p.targetDedicatedNodes, 0);
  checkInt('targetLowPriorityNodes', p.targetLowPriorityNodes, 0);
  checkResizeTimeout(p.resizeTimeout);
}

export function checkPoolPatch(p: M.PoolPatchParameter | M.PoolUpdatePropertiesParameter): void {
  checkStartTask('startTask', p.startTask);
}
