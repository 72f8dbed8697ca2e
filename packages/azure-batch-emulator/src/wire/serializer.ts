import { BatchServiceMappers } from '@azure/batch';
import { Serializer, type CompositeMapper, type EnumMapper, type Mapper } from '@azure/ms-rest-js';
import { BatchServiceError, Errors } from '../errors';

/**
 * Bodies are read and written with the SDK's own mappers, so wire names, required properties and
 * enum lists come from the same source the clients use and cannot drift.
 */
const mappers = BatchServiceMappers as unknown as Record<string, CompositeMapper>;
const serializer = new Serializer(mappers);

/** A deep copy of a mapper with no property required. */
function optional<T>(value: T): T {
  if (Array.isArray(value)) return value.map(optional) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = k === 'required' ? false : optional(v);
  return out as T;
}

/**
 * Answers are written with the same mappers, less their required flags: a property a request
 * must carry may be one the service never returns (a user account's password).
 */
const responseMappers = optional(mappers);
const responseSerializer = new Serializer(responseMappers);

export type MapperName = keyof typeof BatchServiceMappers;

function mapperFor(name: MapperName): CompositeMapper {
  const mapper = mappers[name];
  if (!mapper) throw new Error(`unknown mapper ${name}`);
  return mapper;
}

function modelProperties(mapper: Mapper): Record<string, Mapper> {
  const type = mapper.type as CompositeMapper['type'];
  if (type.modelProperties) return type.modelProperties;
  const named = type.className ? mappers[type.className] : undefined;
  return named?.type.modelProperties ?? {};
}

/** Rewrites every enum value to the SDK's canonical spelling; Batch reads enums case-insensitively. */
function normalizeEnums(mapper: Mapper, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  switch (mapper.type.name) {
    case 'Enum': {
      if (typeof value !== 'string') return value;
      const allowed = (mapper as EnumMapper).type.allowedValues as string[];
      return allowed.find((v) => v.toLowerCase() === value.toLowerCase()) ?? value;
    }
    case 'Sequence': {
      const element = (mapper.type as { element: Mapper }).element;
      return Array.isArray(value) ? value.map((v) => normalizeEnums(element, v)) : value;
    }
    case 'Composite': {
      if (typeof value !== 'object') return value;
      const record = value as Record<string, unknown>;
      for (const [key, prop] of Object.entries(modelProperties(mapper))) {
        if (key in record) record[key] = normalizeEnums(prop, record[key]);
      }
      return record;
    }
    default:
      return value;
  }
}

/**
 * Maps the serializer's validation messages onto Batch's 400 error codes. Like the service,
 * PropertyName is the property's own name (`nodeAgentSKUId`, not its path); the Reason keeps
 * the path.
 */
function validationError(message: string, objectName: string): BatchServiceError {
  const strip = (path: string) =>
    path.startsWith(`${objectName}.`) ? path.slice(objectName.length + 1) : path;
  const leaf = (path: string) =>
    strip(path)
      .replace(/\[\d+\]/g, '')
      .split('.')
      .pop() ?? path;
  let m = /^(.+?) cannot be (?:null or )?undefined\.$/.exec(message);
  if (m) return Errors.missingProperty(leaf(m[1]));
  m = /^(.*) is not a valid value for (.+?)\. The valid values/.exec(message);
  if (m) return Errors.invalidPropertyValue(leaf(m[2]), m[1], message);
  m = /^"(.+?)" with value "(.*)" should satisfy the constraint/.exec(message);
  if (m) return Errors.invalidPropertyValue(leaf(m[1]), m[2], message);
  m = /^(\S+?) with value "?(.*?)"? must be/.exec(message);
  if (m) return Errors.invalidPropertyValue(leaf(m[1]), m[2], message);
  m = /^(\S+?) must be/.exec(message);
  if (m) return Errors.invalidProperty(leaf(m[1]), message);
  return Errors.invalidRequestBody(message);
}

/**
 * Reads a request body into the SDK's model shape: wire names to model names, then the same
 * checks the SDK makes before sending (required properties, enums, constraints, durations).
 */
export function readModel<T>(name: MapperName, body: unknown, objectName: string): T {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw Errors.invalidRequestBody(`${objectName} must be a JSON object`);
  }
  const mapper = mapperFor(name);
  // The SDK's deserializer is written for trusted responses; a malformed body can make it throw.
  let model: unknown;
  try {
    model = serializer.deserialize(mapper, body, objectName);
  } catch (err) {
    throw Errors.invalidRequestBody(err instanceof Error ? err.message : String(err));
  }
  try {
    serializer.serialize(mapper, model, objectName);
  } catch (err) {
    throw validationError(err instanceof Error ? err.message : String(err), objectName);
  }
  return normalizeEnums(mapper, model) as T;
}

/** Response mappers cut to a `$select`'s top-level properties, per mapper and selection. */
const selectedMappers = new Map<string, CompositeMapper>();

function selectedMapper(name: MapperName, select: string[]): CompositeMapper {
  const wanted = new Set(select.map((s) => s.toLowerCase()));
  const cacheKey = `${name}|${[...wanted].sort().join(',')}`;
  let mapper = selectedMappers.get(cacheKey);
  if (!mapper) {
    const full = responseMappers[name];
    const kept = Object.entries(modelProperties(full)).filter(([key, prop]) =>
      wanted.has((prop.serializedName ?? key).toLowerCase()),
    );
    mapper = { ...full, type: { ...full.type, modelProperties: Object.fromEntries(kept) } };
    selectedMappers.set(cacheKey, mapper);
  }
  return mapper;
}

/**
 * Writes models of one kind as their wire JSON (wire names, ISO dates; unknown model keys are
 * dropped), whole or with only the top-level properties a `$select` names (by
 * wire name, any case). The SDK's serializer visits every property of the mapper it is given,
 * so a listing that asks for ids only is written with a mapper of ids only, chosen once for it.
 */
export function modelWriter(
  name: MapperName,
  select: string[] | undefined,
): (model: object) => Record<string, unknown> {
  const mapper = select ? selectedMapper(name, select) : responseMappers[name];
  return (model) => responseSerializer.serialize(mapper, model, name) as Record<string, unknown>;
}
