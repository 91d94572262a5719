import { VfleetError } from '@vfleet/core';

/** A JSON object read from the `/update` body; `path` is its JSON path for messages. */
export type JsonObject = Record<string, unknown>;

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function bodyError(path: string, what: string, cause?: unknown): VfleetError {
  return new VfleetError('VFLEET_CONFIG_INVALID', `/update body ${path}: ${what}`, cause === undefined ? undefined : { cause });
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function object(value: unknown, path: string): JsonObject {
  if (!isObject(value)) throw bodyError(path, `expected an object, found ${describeValue(value)}`);
  return value;
}

/** A key peridiod requires to be present (its absence crashes peridiod's parser). */
export function required(obj: JsonObject, key: string, path: string): unknown {
  if (!(key in obj)) throw bodyError(`${path}.${key}`, 'missing (required)');
  return obj[key];
}

export function string(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '') throw bodyError(path, `expected a non-empty string, found ${describeValue(value)}`);
  return value;
}

export function optionalString(value: unknown, path: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw bodyError(path, `expected a string or null, found ${describeValue(value)}`);
  return value;
}

/** Runs a core parser (PRN, semver, key) whose messages start with `where`, here the JSON path. */
export function at<T>(path: string, read: (where: string) => T): T {
  try {
    return read(path);
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new VfleetError('VFLEET_CONFIG_INVALID', `/update body ${message}`, { cause });
  }
}
