// Every workflow the worker registers.
export { transcodeWorkflow } from './transcode/workflow';
