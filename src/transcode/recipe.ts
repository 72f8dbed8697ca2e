// What made an output, as recorded in its blob's metadata, and the rule that decides whether
// a run may reuse it. Pure (no Node crypto): the workflow and the activities both use it.

/** Metadata names on an output blob (Azure's rules: C# identifiers, compared case-insensitively). */
export const RECORD_INPUT_MD5 = 'durablebatchinputmd5';
export const RECORD_RECIPE = 'durablebatchrecipe';

/** What made one output: its input's content and the recipe that converted it. */
export interface OutputRecord {
  /**
   * The input's MD5, base64 as Azure stores Content-MD5. A blob input stored without one is
   * named by `etag:<etag>;size:<bytes>` instead: any rewrite of the blob changes its etag.
   */
  inputMd5: string;
  recipe: string;
}

/** The recipe of a run: sha256 (hex) of the command template and the output extension. */
export function recipeHash(commandTemplate: string, extension: string): string {
  return sha256Hex(`${commandTemplate}\n.${extension.toLowerCase()}`);
}

/** An input's identity when its blob has no Content-MD5 (see OutputRecord.inputMd5). */
export function etagIdentity(etag: string, size: number): string {
  return `etag:${etag.replace(/"/g, '')};size:${size}`;
}

/** The record as blob metadata. */
export function recordMetadata(record: OutputRecord): Record<string, string> {
  return { [RECORD_INPUT_MD5]: record.inputMd5, [RECORD_RECIPE]: record.recipe };
}

/**
 * The record as the headers of the output's upload (Batch's `uploadHeaders`, passed to Put
 * Blob): the output is stored with its record, and no request per output is needed after.
 */
export function recordUploadHeaders(record: OutputRecord): { name: string; value: string }[] {
  return Object.entries(recordMetadata(record)).map(([name, value]) => ({
    name: `x-ms-meta-${name}`,
    value,
  }));
}

/** The record read back from blob metadata (names compared case-insensitively), if complete. */
export function recordFromMetadata(
  metadata: Record<string, string> | undefined,
): OutputRecord | undefined {
  if (!metadata) return undefined;
  const byName = new Map(Object.entries(metadata).map(([k, v]) => [k.toLowerCase(), v]));
  const inputMd5 = byName.get(RECORD_INPUT_MD5);
  const recipe = byName.get(RECORD_RECIPE);
  return inputMd5 && recipe ? { inputMd5, recipe } : undefined;
}

/** An output may be reused when it exists and was made from this input by this recipe. */
export function isReusable(stored: OutputRecord | undefined, wanted: OutputRecord): boolean {
  return (
    stored !== undefined && stored.inputMd5 === wanted.inputMd5 && stored.recipe === wanted.recipe
  );
}

/** Which of `files` still need converting: those without a reusable output (order kept). */
export function partitionByRecord<T>(
  files: T[],
  wanted: (file: T) => OutputRecord | undefined,
  stored: (file: T) => OutputRecord | undefined,
): { convert: T[]; reused: T[] } {
  const convert: T[] = [];
  const reused: T[] = [];
  for (const file of files) {
    const want = wanted(file);
    if (want && isReusable(stored(file), want)) reused.push(file);
    else convert.push(file);
  }
  return { convert, reused };
}

function utf8(text: string): number[] {
  const bytes: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x80) bytes.push(code);
    else if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 63));
    else if (code < 0x10000)
      bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
    else
      bytes.push(
        0xf0 | (code >> 18),
        0x80 | ((code >> 12) & 63),
        0x80 | ((code >> 6) & 63),
        0x80 | (code & 63),
      );
  }
  return bytes;
}

const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/** SHA-256 (FIPS 180-4) of a text's UTF-8 bytes, as hex; small inputs only (a recipe). */
export function sha256Hex(text: string): string {
  const bytes = utf8(text);
  const bitLength = bytes.length * 8;
  bytes.push(0x80);
  while (bytes.length % 64 !== 56) bytes.push(0);
  for (let shift = 56; shift >= 0; shift -= 8) {
    // Bit lengths beyond 2^32 never occur for a recipe; the high word stays zero.
    bytes.push(shift >= 32 ? 0 : (bitLength >>> shift) & 0xff);
  }
  const h = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ];
  const w = new Array<number>(64);
  const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));
  for (let offset = 0; offset < bytes.length; offset += 64) {
    for (let i = 0; i < 16; i++) {
      const j = offset + i * 4;
      w[i] = ((bytes[j] << 24) | (bytes[j + 1] << 16) | (bytes[j + 2] << 8) | bytes[j + 3]) >>> 0;
    }
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i++) {
      const s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + s1 + ch + K[i] + w[i]) >>> 0;
      const s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (s0 + maj) >>> 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    h[0] = (h[0] + a) >>> 0;
    h[1] = (h[1] + b) >>> 0;
    h[2] = (h[2] + c) >>> 0;
    h[3] = (h[3] + d) >>> 0;
    h[4] = (h[4] + e) >>> 0;
    h[5] = (h[5] + f) >>> 0;
    h[6] = (h[6] + g) >>> 0;
    h[7] = (h[7] + hh) >>> 0;
  }
  return h.map((x) => x.toString(16).padStart(8, '0')).join('');
}
