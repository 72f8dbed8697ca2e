import type { BatchServiceModels as M } from '@azure/batch';
import {
  checkDuration,
  checkEnvironment,
  checkId,
  checkInt,
  checkResourceFiles,
  checkRetryCount,
  checkUrl,
  checkUserIdentity,
  invalid,
  requireText,
} from './common';

function checkOutputFiles(files: M.OutputFile[] | undefined): void {
  for (const [i, f] of (files ?? []).entries()) {
    const at = `outputFiles[${i}]`;
    requireText(`${at}.filePattern`, f.filePattern);
    const container = f.destination.container;
    if (!container) throw invalid(`${at}.destination`, {}, 'a destination needs a container');
    requireText(`${at}.destination.container.containerUrl`, container.containerUrl);
    checkUrl(`${at}.destination.container.containerUrl`, container.containerUrl);
    for (const [j, h] of (container.uploadHeaders ?? []).entries()) {
      requireText(`${at}.destination.container.uploadHeaders[${j}].name`, h.name);
    }
  }
}

export function checkTaskConstraints(c: M.TaskConstraints | undefined): void {
  if (!c) return;
  checkRetryCount('constraints.maxTaskRetryCount', c.maxTaskRetryCount);
  checkDuration('constraints.maxWallClockTime', c.maxWallClockTime, 0);
  checkDuration('constraints.retentionTime', c.retentionTime, 0);
}

/** Task_Add and each task of Task_AddCollection, beyond the schema. */
export function checkTaskAdd(p: M.TaskAddParameter): void {
  checkId('id', p.id);
  requireText('commandLine', p.commandLine);
  checkResourceFiles('resourceFiles', p.resourceFiles);
  checkOutputFiles(p.outputFiles);
  checkEnvironment('environmentSettings', p.environmentSettings);
  checkUserIdentity('userIdentity', p.userIdentity);
  checkTaskConstraints(p.constraints);
  checkInt('requiredSlots', p.requiredSlots, 1);
  if (p.multiInstanceSettings) {
    throw invalid(
      'multiInstanceSettings.numberOfInstances',
      p.multiInstanceSettings.numberOfInstances,
      'multi-instance tasks are not emulated by this emulator',
    );
  }
  if (p.dependsOn) {
    throw invalid('dependsOn', p.dependsOn, 'task dependencies are not emulated by this emulator');
  }
}
