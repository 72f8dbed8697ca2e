// Large payloads (file lists of big runs) are gzipped before they reach Temporal, which refuses a
// payload over 2 MB and warns from 512 KB: a run of ~30,000 files used to fail at its first
// step. File lists compress 8-14 times. Small payloads stay as they are, so `temporal workflow
// show`, the Web UI and the README's raw CLI commands still read them. The worker and every
// client of this project use the same converter; a client without it sees large payloads as
// `binary/gzip`.
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);

export const GZIP_ENCODING = 'binary/gzip';
/** The original payload's metadata, as JSON of base64 values. */
const ORIGINAL_METADATA = 'durable-batch-original-metadata';
/** Payloads from this size on are compressed. */
export const GZIP_THRESHOLD_BYTES = 32 * 1024;

const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array | null | undefined) => new TextDecoder().decode(bytes ?? undefined);

export class GzipLargePayloadCodec implements PayloadCodec {
  constructor(private readonly thresholdBytes = GZIP_THRESHOLD_BYTES) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(
      payloads.map(async (payload) => {
        if ((payload.data?.length ?? 0) < this.thresholdBytes) return payload;
        const metadata = Object.fromEntries(
          Object.entries(payload.metadata ?? {}).map(([key, value]) => [
            key,
            Buffer.from(value).toString('base64'),
          ]),
        );
        return {
          metadata: {
            encoding: utf8(GZIP_ENCODING),
            [ORIGINAL_METADATA]: utf8(JSON.stringify(metadata)),
          },
          data: await gzip(payload.data ?? new Uint8Array()),
        };
      }),
    );
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(
      payloads.map(async (payload) => {
        if (text(payload.metadata?.encoding) !== GZIP_ENCODING) return payload;
        const metadata = JSON.parse(text(payload.metadata?.[ORIGINAL_METADATA])) as Record<
          string,
          string
        >;
        return {
          metadata: Object.fromEntries(
            Object.entries(metadata).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
          ),
          data: await gunzip(payload.data ?? new Uint8Array()),
        };
      }),
    );
  }
}

/** The data converter of the worker and of every client. */
export const dataConverter: DataConverter = { payloadCodecs: [new GzipLargePayloadCodec()] };
