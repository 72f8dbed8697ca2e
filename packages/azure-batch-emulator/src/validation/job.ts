import type { BatchServiceModels as M } from '@azure/batch';
import type { Job } from '../store/types';
import { checkEnvironment, checkId, checkInt, checkRetryCount, invalid, missing } from './common';

type JobChange = M.JobPatchParameter | M.JobUpdateParameter;

function checkCommon(p: JobChange | M.JobAddParameter): void {
  checkInt('priority', p.priority, -1000, 1000);
  // "The value of maxParallelTasks must be -1 or greater than 0 if specified."
  if (p.maxParallelTasks !== undefined && p.maxParallelTasks !== -1) {
    checkInt('maxParallelTasks', p.maxParallelTasks, 1);
  }
  checkRetryCount('constraints.maxTaskRetryCount', p.constraints?.maxTaskRetryCount);
}

/** poolInfo names a pool (by id) or asks for an auto pool, not both. */
function checkPoolInfo(info: M.PoolInformation | undefined): void {
  if (!info) return;
  if (info.poolId !== undefined && info.autoPoolSpecification !== undefined) {
    throw invalid(
      'poolInfo.poolId',
      info.poolId,
      'poolId and autoPoolSpecification are mutually exclusive',
    );
  }
  if (info.poolId === undefined && info.autoPoolSpecification === undefined) {
    throw missing('poolInfo.poolId');
  }
  if (info.poolId !== undefined) checkId('poolInfo.poolId', info.poolId);
  if (info.autoPoolSpecification) {
    throw invalid(
      'poolInfo.autoPoolSpecification',
      info.autoPoolSpecification.poolLifetimeOption,
      'auto pools are not emulated by this emulator; create a pool and name it in poolId',
    );
  }
}

export function checkJobAdd(p: M.JobAddParameter): void {
  checkId('id', p.id);
  checkPoolInfo(p.poolInfo);
  checkCommon(p);
  checkEnvironment('commonEnvironmentSettings', p.commonEnvironmentSettings);
  for (const name of ['jobManagerTask', 'jobPreparationTask', 'jobReleaseTask'] as const) {
    if (p[name]) {
      throw invalid(
        `${name}.commandLine`,
        p[name]?.commandLine,
        'job manager, preparation and release tasks are not emulated by this emulator',
      );
    }
  }
}

/** Job_Patch and Job_Update: terminatejob, once set, cannot go back to noaction. */
export function checkJobChange(p: JobChange, job: Job): void {
  checkPoolInfo(p.poolInfo);
  checkCommon(p);
  if (job.onAllTasksComplete === 'terminatejob' && p.onAllTasksComplete === 'noaction') {
    throw invalid(
      'onAllTasksComplete',
      p.onAllTasksComplete,
      'once automatic job termination is engaged (terminatejob) it cannot be turned off',
    );
  }
}
