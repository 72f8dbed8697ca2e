// Every workflow the worker registers (each exported function is one).
import type { TranscodeWorkflow } from '../transcode';
import type { transcodeWorkflow } from './transcode/workflow';

export { transcodeWorkflow } from './transcode/workflow';

// Clients start the workflow through the model's signature: a mismatch fails the typecheck here.
type Satisfies<T extends TranscodeWorkflow> = T;
export type CheckedTranscodeWorkflow = Satisfies<typeof transcodeWorkflow>;
