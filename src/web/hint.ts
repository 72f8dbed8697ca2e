// How to open a run's live page, as `start` and `npm start` print it (the page is served by
// its own `watch --web` process, so it outlives neither and needs nothing of theirs).
export function livePageHint(workflowId: string): string {
  return `Live page: npm run client -- watch ${workflowId} --web`;
}
