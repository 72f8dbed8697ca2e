// JSON.stringify's output, in pieces: containers near the root are opened here, and each value
// below them is stringified alone, so no single string holds a whole large state.

/** How deep containers are opened (state, store, jobs, a job, its tasks); below, one string. */
const OPEN_DEPTH = 5;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const skipped = (value: unknown) =>
  value === undefined || typeof value === 'function' || typeof value === 'symbol';

/** The pieces of JSON.stringify(value), which they equal when joined. */
export function* jsonPieces(value: unknown, depth = 0): Generator<string> {
  if (depth >= OPEN_DEPTH || !(Array.isArray(value) || isPlainObject(value))) {
    yield JSON.stringify(value) ?? 'null';
    return;
  }
  if (Array.isArray(value)) {
    yield '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) yield ',';
      const item: unknown = value[i];
      if (skipped(item)) yield 'null';
      else yield* jsonPieces(item, depth + 1);
    }
    yield ']';
    return;
  }
  yield '{';
  let first = true;
  for (const [k, item] of Object.entries(value)) {
    if (skipped(item)) continue;
    yield `${first ? '' : ','}${JSON.stringify(k)}:`;
    first = false;
    yield* jsonPieces(item, depth + 1);
  }
  yield '}';
}
