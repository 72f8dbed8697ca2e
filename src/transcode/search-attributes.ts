// Search attributes the transcode workflow sets, so runs can be filtered in the Web UI.
// The local stack registers them when it starts the dev server.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const batchPoolIdKey = defineSearchAttributeKey('BatchPoolId', SearchAttributeType.KEYWORD);
export const batchJobIdKey = defineSearchAttributeKey('BatchJobId', SearchAttributeType.KEYWORD);
export const transcodePhaseKey = defineSearchAttributeKey(
  'TranscodePhase',
  SearchAttributeType.KEYWORD,
);

/** `--search-attribute NAME=Type` values for `temporal server start-dev`. */
export const searchAttributeFlags: string[] = [
  batchPoolIdKey,
  batchJobIdKey,
  transcodePhaseKey,
].map((key) => `${key.name}=Keyword`);
