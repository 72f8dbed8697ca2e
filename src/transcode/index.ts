// The transcode model: what a run is, shared by the workflow, activities, clients, stack and
// bench. It imports none of them.
export * from './defaults';
export * from './error-types';
export * from './ids';
export * from './input';
export * from './manifest';
export * from './messages';
export * from './plan';
export * from './polling';
export * from './progress';
export * from './recipe';
export * from './result';
export * from './schema';
export * from './search-attributes';
export * from './task-plan';
export * from './task-retry';
export * from './task-watch';
export * from './workflow-type';
