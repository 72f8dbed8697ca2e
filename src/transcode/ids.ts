// Names derived from the workflow id: stable under retry, valid for Batch and for Storage.
// No Node crypto: the workflow derives them too.

/** FNV-1a, so derived ids are short, stable and need no Node crypto (workflow-safe). */
export function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36).padStart(7, '0');
}

/** A Batch id (letters, digits, hyphen, underscore, ≤ 64) derived from any text, stable. */
export function deriveBatchId(prefix: string, text: string): string {
  const clean = text.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  const candidate = `${prefix}-${clean}`;
  if (candidate.length <= 64 && clean === text) return candidate;
  // Changed or too long: keep it readable and make it unique with a hash of the original.
  return `${prefix}-${clean.slice(0, 64 - prefix.length - 10)}-${shortHash(text)}`;
}

/** A blob container name (3-63 lower-case letters, digits, single hyphens) derived from text. */
export function deriveContainerName(text: string, suffix: string): string {
  const clean = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `${clean.slice(0, 63 - suffix.length - 10)}-${shortHash(text)}-${suffix}`.replace(
    /^-+/,
    '',
  );
}
