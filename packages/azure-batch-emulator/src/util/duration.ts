const DURATION =
  /^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** ISO 8601 duration to milliseconds (a year is 365 days, a month 30), undefined if malformed. */
export function durationMs(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const m = DURATION.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const n = (i: number) => (m[i] ? Number(m[i]) : 0);
  const days = n(1) * 365 + n(2) * 30 + n(3) * 7 + n(4);
  return Math.round(((days * 24 + n(5)) * 60 + n(6)) * 60 * 1000 + n(7) * 1000);
}

/** Batch's "no limit" duration, as the service reports unset constraints. */
export const INFINITE_DURATION = 'P10675199DT2H48M5.4775807S';

/** Longest delay a Node timer can hold; longer limits are treated as none. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
