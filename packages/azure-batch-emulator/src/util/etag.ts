/** .NET ticks at the Unix epoch: Batch ETags look like `0x8DC...`, a tick count in hex. */
const EPOCH_TICKS = 621355968000000000n;
let last = 0n;

export function newETag(now = Date.now()): string {
  let ticks = BigInt(now) * 10000n + EPOCH_TICKS;
  if (ticks <= last) ticks = last + 1n;
  last = ticks;
  return `0x${ticks.toString(16).toUpperCase()}`;
}
