import type { BatchServiceModels as M } from '@azure/batch';
import { isAbsolute, normalize } from 'node:path';
import { Errors } from '../errors';
import { durationMs } from '../util/duration';

/**
 * Checks Batch makes on request bodies beyond the SDK's schema (which readModel applies first:
 * required properties, types, enums). Errors follow the service: 400 MissingRequiredProperty with
 * the property's own name, or InvalidPropertyValue with PropertyName (the property's own name,
 * e.g. `subnetId`, not its path), PropertyValue and Reason (which names the full path here).
 */

/** `startTask.resourceFiles[0].filePath` → `filePath`. */
export function leaf(path: string): string {
  return (
    path
      .replace(/\[\d+\]/g, '')
      .split('.')
      .pop() ?? path
  );
}

export function missing(path: string) {
  return Errors.missingProperty(leaf(path));
}

export function invalid(path: string, value: unknown, reason: string) {
  return Errors.invalidPropertyValue(leaf(path), value, `${path}: ${reason}`);
}

const blank = (v: string | undefined) => v === undefined || v.trim() === '';

/** A required string that the schema let through empty. */
export function requireText(path: string, value: string | undefined): void {
  if (blank(value)) throw missing(path);
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Pool, job and task ids: letters, digits, hyphens and underscores, 1 to 64 of them. */
export function checkId(path: string, id: string): void {
  if (!ID.test(id)) {
    throw invalid(
      path,
      id,
      'an id may contain only letters, digits, hyphens and underscores, and at most 64 characters',
    );
  }
}

export function checkInt(
  path: string,
  value: number | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `${min} or greater` : `from ${min} to ${max}`;
    throw invalid(path, value, `must be an integer ${range}`);
  }
}

/** maxTaskRetryCount: -1 means retry for ever. */
export function checkRetryCount(path: string, value: number | undefined): void {
  checkInt(path, value, -1);
}

export function checkDuration(
  path: string,
  value: string | undefined,
  minMs: number,
  maxMs = Number.MAX_VALUE,
  range = '',
): void {
  if (value === undefined) return;
  const ms = durationMs(value);
  if (ms === undefined || ms < minMs || ms > maxMs) {
    throw invalid(path, value, `must be an ISO 8601 duration${range ? ` ${range}` : ''}`);
  }
}

export function checkUrl(path: string, value: string | undefined): void {
  if (value === undefined) return;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw invalid(path, value, 'must be an absolute http or https URL');
  }
}

/** A path on the node: relative, and never out of the working directory. */
function checkRelativePath(path: string, value: string | undefined): void {
  if (value === undefined) return;
  if (isAbsolute(value) || normalize(value).split('/').includes('..')) {
    throw invalid(path, value, 'must be relative and stay within the working directory');
  }
}

export function checkUserIdentity(path: string, identity: M.UserIdentity | undefined): void {
  if (!identity) return;
  if (identity.userName !== undefined && identity.autoUser !== undefined) {
    throw invalid(
      `${path}.username`,
      identity.userName,
      'userName and autoUser are mutually exclusive: specify one, not both',
    );
  }
  if (identity.userName !== undefined) requireText(`${path}.username`, identity.userName);
}

export function checkEnvironment(path: string, settings: M.EnvironmentSetting[] | undefined): void {
  for (const [i, s] of (settings ?? []).entries()) requireText(`${path}[${i}].name`, s.name);
}

/** Exactly one source; filePath with httpUrl; blobPrefix only with a container. */
export function checkResourceFiles(path: string, files: M.ResourceFile[] | undefined): void {
  for (const [i, rf] of (files ?? []).entries()) {
    const at = `${path}[${i}]`;
    const sources = [
      ['autoStorageContainerName', rf.autoStorageContainerName],
      ['storageContainerUrl', rf.storageContainerUrl],
      ['httpUrl', rf.httpUrl],
    ].filter(([, v]) => v !== undefined);
    if (sources.length === 0) throw missing(`${at}.httpUrl`);
    if (sources.length > 1) {
      throw invalid(
        `${at}.${sources[1][0]}`,
        sources[1][1],
        'autoStorageContainerName, storageContainerUrl and httpUrl are mutually exclusive: specify exactly one',
      );
    }
    checkUrl(`${at}.httpUrl`, rf.httpUrl);
    checkUrl(`${at}.storageContainerUrl`, rf.storageContainerUrl);
    if (rf.httpUrl !== undefined && blank(rf.filePath)) throw missing(`${at}.filePath`);
    if (rf.httpUrl !== undefined && rf.blobPrefix !== undefined) {
      throw invalid(
        `${at}.blobPrefix`,
        rf.blobPrefix,
        'blobPrefix is valid only with autoStorageContainerName or storageContainerUrl',
      );
    }
    checkRelativePath(`${at}.filePath`, rf.filePath);
    if (rf.fileMode !== undefined && !/^[0-7]{3,4}$/.test(rf.fileMode)) {
      throw invalid(`${at}.fileMode`, rf.fileMode, 'must be an octal file mode such as 0770');
    }
  }
}

/** Start tasks of pools (add, patch, update properties). */
export function checkStartTask(path: string, task: M.StartTask | undefined): void {
  if (!task) return;
  requireText(`${path}.commandLine`, task.commandLine);
  checkResourceFiles(`${path}.resourceFiles`, task.resourceFiles);
  checkEnvironment(`${path}.environmentSettings`, task.environmentSettings);
  checkUserIdentity(`${path}.userIdentity`, task.userIdentity);
  checkRetryCount(`${path}.maxTaskRetryCount`, task.maxTaskRetryCount);
}
