import { z } from 'zod';

const rate = z.number().min(0).max(1);

/** Fault settings; all off by default. Rates are fractions of API requests (0..1). */
export const FaultSettingsSchema = z
  .object({
    /** Answered 500 InternalError before the handler runs (nothing happened). */
    internalErrorRate: rate.default(0),
    /** Answered 503 ServerBusy before the handler runs. */
    serverBusyRate: rate.default(0),
    /** Answered 429 with Retry-After before the handler runs. */
    throttleRate: rate.default(0),
    retryAfterSeconds: z.number().int().min(0).default(1),
    /** Connection destroyed before the handler runs. */
    connectionResetRate: rate.default(0),
    /** Delayed by slowDelayMs before the handler runs. */
    slowRate: rate.default(0),
    slowDelayMs: z.number().int().min(0).default(0),
    /** Limits the random faults above to these operation names (all operations when empty). */
    operations: z.array(z.string()).default([]),
    /** Per operation name: delay the answer after the handler ran (the effect already happened). */
    responseDelayMs: z.record(z.string(), z.number().int().min(0)).default({}),
    /** Per operation name: how many upcoming answers to drop after the handler ran (lost response). */
    dropResponses: z.record(z.string(), z.number().int().min(0)).default({}),
    /** Makes the random draws reproducible. */
    seed: z.number().int().optional(),
  })
  .strict();

export type FaultSettings = z.infer<typeof FaultSettingsSchema>;
/** What may be sent: every field optional (missing ones take their defaults). */
export type FaultSettingsInput = z.input<typeof FaultSettingsSchema>;

export type PreHandlerFault =
  | { kind: 'none' }
  | { kind: 'internalError' }
  | { kind: 'serverBusy' }
  | { kind: 'throttle'; retryAfterSeconds: number }
  | { kind: 'connectionReset' };

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Holds the current settings and draws the faults for each request. */
export class FaultInjector {
  private settings: FaultSettings;
  private random: () => number = Math.random;

  constructor(private readonly initial: Partial<FaultSettings>) {
    this.settings = this.parse(initial);
    this.apply(this.settings);
  }

  private parse(input: unknown): FaultSettings {
    return FaultSettingsSchema.parse(input);
  }

  private apply(s: FaultSettings): void {
    this.settings = s;
    this.random = s.seed === undefined ? Math.random : mulberry32(s.seed);
  }

  get(): FaultSettings {
    return structuredClone(this.settings);
  }

  /** Replaces the settings (missing fields take their defaults); throws a ZodError if invalid. */
  replace(input: unknown): FaultSettings {
    this.apply(this.parse(input));
    return this.get();
  }

  /** Merges fields into the current settings. */
  merge(input: unknown): FaultSettings {
    const partial = FaultSettingsSchema.partial().strict().parse(input);
    this.apply(this.parse({ ...this.settings, ...partial }));
    return this.get();
  }

  reset(): void {
    this.apply(this.parse(this.initial));
  }

  private applies(operation: string): boolean {
    const ops = this.settings.operations;
    return ops.length === 0 || ops.some((o) => o.toLowerCase() === operation.toLowerCase());
  }

  /** One draw decides which (if any) failure replaces the answer. */
  preHandler(operation: string): PreHandlerFault {
    if (!this.applies(operation)) return { kind: 'none' };
    const s = this.settings;
    const r = this.random();
    let edge = s.connectionResetRate;
    if (r < edge) return { kind: 'connectionReset' };
    edge += s.internalErrorRate;
    if (r < edge) return { kind: 'internalError' };
    edge += s.serverBusyRate;
    if (r < edge) return { kind: 'serverBusy' };
    edge += s.throttleRate;
    if (r < edge) return { kind: 'throttle', retryAfterSeconds: s.retryAfterSeconds };
    return { kind: 'none' };
  }

  slowDelay(operation: string): number {
    const s = this.settings;
    if (s.slowRate <= 0 || !this.applies(operation)) return 0;
    return this.random() < s.slowRate ? s.slowDelayMs : 0;
  }

  /** Post-handler faults for this operation; consumes one drop if any are pending. */
  response(operation: string): { delayMs: number; drop: boolean } {
    const s = this.settings;
    const find = (rec: Record<string, number>) =>
      Object.keys(rec).find((k) => k.toLowerCase() === operation.toLowerCase());
    const delayKey = find(s.responseDelayMs);
    const dropKey = find(s.dropResponses);
    const drop = dropKey !== undefined && s.dropResponses[dropKey] > 0;
    if (drop && dropKey) s.dropResponses[dropKey]--;
    return { delayMs: delayKey ? s.responseDelayMs[delayKey] : 0, drop };
  }
}
