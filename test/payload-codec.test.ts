import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { GZIP_ENCODING, GzipLargePayloadCodec } from '../src/payload-codec';

const codec = new GzipLargePayloadCodec(1024);
const encodingOf = (p: { metadata?: Record<string, Uint8Array> | null }) =>
  new TextDecoder().decode(p.metadata?.encoding ?? undefined);

test('small payloads pass through untouched', async () => {
  const small = defaultPayloadConverter.toPayload({ files: ['a.mp4'] });
  const [encoded] = await codec.encode([small]);
  assert.equal(encoded, small);
  assert.equal(encodingOf(encoded), 'json/plain');
});

test('a large file list is gzipped and comes back equal, metadata included', async () => {
  const files = Array.from({ length: 2000 }, (_, i) => ({
    name: `camera/DCIM_${String(i).padStart(5, '0')}.mp4`,
    size: 1_000_000 + i,
  }));
  const payload = defaultPayloadConverter.toPayload({ files });
  const [encoded] = await codec.encode([payload]);
  assert.equal(encodingOf(encoded), GZIP_ENCODING);
  const ratio = (payload.data?.length ?? 0) / (encoded.data?.length ?? 1);
  assert.ok(ratio > 5, `compressed only ${ratio.toFixed(1)} times`);
  const [decoded] = await codec.decode([encoded]);
  assert.deepEqual(defaultPayloadConverter.fromPayload(decoded), { files });
  assert.equal(encodingOf(decoded), 'json/plain');
});

test('payloads of other encodings decode untouched', async () => {
  const binary = {
    metadata: { encoding: new TextEncoder().encode('binary/plain') },
    data: new Uint8Array(4096),
  };
  const [decoded] = await codec.decode([binary]);
  assert.equal(decoded, binary);
});
