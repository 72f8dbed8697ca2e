// How clients name and type the workflow without importing workflow code.
import type { TranscodeInput } from './input';
import type { TranscodeResult } from './result';

export const TRANSCODE_WORKFLOW_TYPE = 'transcodeWorkflow';

/** The workflow as a client starts it (src/workflows checks its function against this). */
export type TranscodeWorkflow = (input: TranscodeInput) => Promise<TranscodeResult>;
