/**
 * What Batch lets each list filter on, and with which operators ("OData filters in Azure Batch"
 * in the Batch REST reference). Anything else Batch refuses, so the emulator does too: a filter
 * that works here must work there.
 */
export type Filterable = Readonly<Record<string, readonly string[]>>;

const ORDERED = ['eq', 'ne', 'ge', 'gt', 'le', 'lt'];
const ID = ['startswith', ...ORDERED];
const STATE = ['eq', 'ne'];

export const FILTERABLE = {
  tasks: {
    id: ID,
    state: STATE,
    stateTransitionTime: ORDERED,
    creationTime: ORDERED,
    lastModifiedTime: ORDERED,
    'executionInfo/startTime': ORDERED,
    'executionInfo/endTime': ORDERED,
    'executionInfo/exitCode': ORDERED,
    'executionInfo/result': STATE,
  },
  jobs: {
    id: ID,
    state: STATE,
    stateTransitionTime: ORDERED,
    creationTime: ORDERED,
    lastModified: ORDERED,
    'executionInfo/startTime': ORDERED,
    'executionInfo/endTime': ORDERED,
    'executionInfo/poolId': ID,
  },
  pools: {
    id: ID,
    state: STATE,
    stateTransitionTime: ORDERED,
    allocationState: ['eq'],
    allocationStateTransitionTime: ORDERED,
    creationTime: ORDERED,
    enableAutoScale: STATE,
    lastModified: ORDERED,
    vmSize: STATE,
    enableInterNodeCommunication: STATE,
  },
  nodes: {
    state: STATE,
    stateTransitionTime: ORDERED,
    lastBootTime: ORDERED,
    allocationTime: ORDERED,
    'startTaskInfo/state': ['eq'],
    'startTaskInfo/result': STATE,
    'startTaskInfo/exitCode': ORDERED,
    'startTaskInfo/startTime': ORDERED,
    'startTaskInfo/endTime': ORDERED,
  },
  files: { name: ['startswith'] },
  supportedImages: { osType: STATE, verificationType: STATE, nodeAgentSKUId: STATE },
} satisfies Record<string, Filterable>;
