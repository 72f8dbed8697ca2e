import type { Handler, Route } from '../pipeline/types';
import { AccountHandler } from './account';
import type { Services } from './common';
import { FilesHandler } from './files';
import { JobsHandler } from './jobs';
import { NodesHandler } from './nodes';
import { PoolsHandler } from './pools';
import { TasksHandler } from './tasks';

const route = (method: string, path: string, operation: string, handler: Handler): Route => ({
  method,
  segments: path.split('/').filter(Boolean),
  operation,
  handler,
});

/** Every emulated REST operation, named by its swagger operationId. */
export function buildRoutes(s: Services): Route[] {
  const pools = new PoolsHandler(s);
  const nodes = new NodesHandler(s);
  const jobs = new JobsHandler(s);
  const tasks = new TasksHandler(s);
  const files = new FilesHandler(s);
  const account = new AccountHandler();
  return [
    route('GET', '/supportedimages', 'Account_ListSupportedImages', account.listSupportedImages),
    route('POST', '/pools', 'Pool_Add', pools.add),
    route('GET', '/pools', 'Pool_List', pools.list),
    route('GET', '/pools/{poolId}', 'Pool_Get', pools.get),
    route('HEAD', '/pools/{poolId}', 'Pool_Exists', pools.exists),
    route('DELETE', '/pools/{poolId}', 'Pool_Delete', pools.delete),
    route('PATCH', '/pools/{poolId}', 'Pool_Patch', pools.patch),
    route('POST', '/pools/{poolId}/resize', 'Pool_Resize', pools.resize),
    route('POST', '/pools/{poolId}/stopresize', 'Pool_StopResize', pools.stopResize),
    route(
      'POST',
      '/pools/{poolId}/updateproperties',
      'Pool_UpdateProperties',
      pools.updateProperties,
    ),
    route('GET', '/pools/{poolId}/nodes', 'ComputeNode_List', nodes.list),
    route('GET', '/pools/{poolId}/nodes/{nodeId}', 'ComputeNode_Get', nodes.get),
    route('POST', '/jobs', 'Job_Add', jobs.add),
    route('GET', '/jobs', 'Job_List', jobs.list),
    route('GET', '/jobs/{jobId}', 'Job_Get', jobs.get),
    route('PATCH', '/jobs/{jobId}', 'Job_Patch', jobs.patch),
    route('PUT', '/jobs/{jobId}', 'Job_Update', jobs.update),
    route('DELETE', '/jobs/{jobId}', 'Job_Delete', jobs.delete),
    route('POST', '/jobs/{jobId}/terminate', 'Job_Terminate', jobs.terminate),
    route('GET', '/jobs/{jobId}/taskcounts', 'Job_GetTaskCounts', jobs.taskCounts),
    route('POST', '/jobs/{jobId}/addtaskcollection', 'Task_AddCollection', tasks.addCollection),
    route('POST', '/jobs/{jobId}/tasks', 'Task_Add', tasks.add),
    route('GET', '/jobs/{jobId}/tasks', 'Task_List', tasks.list),
    route('GET', '/jobs/{jobId}/tasks/{taskId}', 'Task_Get', tasks.get),
    route('PUT', '/jobs/{jobId}/tasks/{taskId}', 'Task_Update', tasks.update),
    route('DELETE', '/jobs/{jobId}/tasks/{taskId}', 'Task_Delete', tasks.delete),
    route('POST', '/jobs/{jobId}/tasks/{taskId}/terminate', 'Task_Terminate', tasks.terminate),
    route('POST', '/jobs/{jobId}/tasks/{taskId}/reactivate', 'Task_Reactivate', tasks.reactivate),
    route('GET', '/jobs/{jobId}/tasks/{taskId}/files', 'File_ListFromTask', files.list),
    route('GET', '/jobs/{jobId}/tasks/{taskId}/files/{*filePath}', 'File_GetFromTask', files.get),
    route(
      'HEAD',
      '/jobs/{jobId}/tasks/{taskId}/files/{*filePath}',
      'File_GetPropertiesFromTask',
      files.properties,
    ),
  ];
}
