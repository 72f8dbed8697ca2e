// Peak resident memory of a process we did not start ourselves (the emulator), from /proc:
// VmRSS sampled at an interval while a measurement runs.
import fs from 'node:fs';

function rssKb(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Starts sampling `pid`; `stop()` ends it and gives the highest VmRSS seen (MB, 0 if none). */
export function sampleRss(pid: number | undefined, everyMs = 200): { stop(): number } {
  let peakKb = pid ? rssKb(pid) : 0;
  const timer = setInterval(() => {
    if (pid) peakKb = Math.max(peakKb, rssKb(pid));
  }, everyMs).unref();
  return {
    stop() {
      clearInterval(timer);
      if (pid) peakKb = Math.max(peakKb, rssKb(pid));
      return Math.round(peakKb / 1024);
    },
  };
}
