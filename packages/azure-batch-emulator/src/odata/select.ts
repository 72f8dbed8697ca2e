/** Parses `$select=id,state,executionInfo` (top-level properties, names case-insensitive). */
export function parseSelect(text: string | null): string[] | undefined {
  if (!text) return undefined;
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return names.length > 0 ? names : undefined;
}
