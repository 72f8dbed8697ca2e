/** Parses `$select=id,state,executionInfo` (top-level properties, names case-insensitive). */
export function parseSelect(text: string | null): string[] | undefined {
  if (!text) return undefined;
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return names.length > 0 ? names : undefined;
}

export function applySelect(
  wire: Record<string, unknown>,
  select: string[] | undefined,
): Record<string, unknown> {
  if (!select) return wire;
  const wanted = new Set(select.map((s) => s.toLowerCase()));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(wire)) if (wanted.has(k.toLowerCase())) out[k] = v;
  return out;
}
