// The shape of the workflow's input, checked strictly before anything is planned: every field's
// type, and no field this version does not know (a typo would otherwise be a silent default).
// Ranges, formats and the rules between fields are plan.ts's; this only says what is what.
import { z } from 'zod';
import { HOST_ID, type TranscodeInput } from './input';

const text = z.string();
const count = z.number();

const image = z
  .object({
    publisher: text,
    offer: text,
    sku: text,
    version: text,
    nodeAgentSkuId: text,
  })
  .partial()
  .strict();

export const transcodeInputSchema = z
  .object({
    input: z
      .object({
        localDir: text,
        inputHost: text.regex(
          HOST_ID,
          'must be a host id (letters, digits, dots, hyphens, underscores): the DURABLE_BATCH_HOST_ID of the workers beside the folder',
        ),
        blobContainer: text,
        blobPrefix: text,
        pattern: text,
      })
      .partial()
      .strict()
      .refine((i) => i.inputHost === undefined || i.localDir !== undefined, {
        message: 'inputHost names the machine that has input.localDir: give it only with localDir',
      }),
    output: z
      .object({ extension: text, commandTemplate: text, downloadDir: text, container: text })
      .partial()
      .strict()
      .optional(),
    pool: z
      .object({
        id: text,
        existingPoolId: text,
        vmSize: text,
        dedicatedNodes: count,
        lowPriorityNodes: count,
        taskSlotsPerNode: count,
        image,
        startTaskCommand: text,
        allocationTimeoutMinutes: count,
      })
      .partial()
      .strict()
      .optional(),
    job: z.object({ id: text }).partial().strict().optional(),
    timeoutMinutes: count.optional(),
    force: z.boolean().optional(),
    failures: z
      .object({ maxFailedTasks: count, maxFailedPercent: count, taskRetries: count })
      .partial()
      .strict()
      .optional(),
    cleanup: z
      .object({
        policy: z.enum(['ask', 'always', 'never']),
        decisionTimeoutMinutes: count,
        defaultDecision: z.enum(['delete', 'keep']),
        keepNodesWhileWaiting: z.boolean(),
      })
      .partial()
      .strict()
      .optional(),
    cost: z
      .object({ dedicatedPerHour: count, spotPerHour: count, currency: text })
      .partial()
      .strict()
      .optional(),
    polling: z
      .object({
        minIntervalSeconds: count,
        maxIntervalSeconds: count,
        maxHistoryEvents: count,
        callTimeoutSeconds: count,
        heartbeatTimeoutSeconds: count,
      })
      .partial()
      .strict()
      .optional(),
  })
  .strict() satisfies z.ZodType<TranscodeInput>;

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list ${JSON.stringify(value).slice(0, 40)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value).slice(0, 60)}`;
}

/** `a, b or c` */
function orList(values: string[]): string {
  return values.length < 2
    ? values.join('')
    : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let current = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

export interface ShapeProblem {
  /** The field, dotted (`pool.image.publisher`), or `the input`. */
  field: string;
  message: string;
}

/** Every structural problem of a raw input, one sentence each naming the field. */
export function shapeProblems(raw: unknown): ShapeProblem[] {
  const parsed = transcodeInputSchema.safeParse(raw);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => {
    const field = issue.path.map(String).join('.') || 'the input';
    return { field, message: sentence(raw, field, issue) };
  });
}

function sentence(raw: unknown, field: string, issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${field} has unknown field(s) ${issue.keys
        .map((k) => (field === 'the input' ? k : `${field}.${k}`))
        .join(', ')}: check the spelling (see TranscodeInput)`;
    case 'invalid_type':
      return `${field} must be ${issue.expected === 'object' ? 'an object' : `a ${issue.expected}`} (got ${describe(valueAt(raw, issue.path))})`;
    case 'invalid_value':
      return `${field} must be ${orList(issue.values.map(String))} (got ${describe(valueAt(raw, issue.path))})`;
    default:
      return `${field}: ${issue.message}`;
  }
}
