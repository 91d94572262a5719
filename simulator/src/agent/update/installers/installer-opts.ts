import { posix } from 'node:path';
import { VfleetError } from '@vfleet/core';
import type { DevicePaths } from '../../types.js';
import { describeValue, type JsonObject } from '../validate/fields.js';

export function optsError(field: string, what: string): VfleetError {
  return new VfleetError('VFLEET_CONFIG_INVALID', `custom_metadata.peridiod.installer_opts.${field}: ${what}`);
}

/** A plain file name: no directory part, not `.` or `..`, so it cannot leave `path`. */
export function plainFileName(opts: JsonObject, field: string): string {
  const value = opts[field];
  if (typeof value !== 'string' || value === '') throw optsError(field, `expected a file name, found ${describeValue(value)}`);
  if (value === '.' || value === '..' || value.includes('/') || value.includes('\0') || value.length > 255) {
    throw optsError(field, `${describeValue(value)} is not a plain file name (no "/", not "." or "..")`);
  }
  return value;
}

/** An absolute, normalised device path: no `.`/`..` segments, no empty segments, no NUL. */
export function absoluteDevicePath(opts: JsonObject, field: string): string {
  const value = opts[field];
  if (typeof value !== 'string' || value === '') throw optsError(field, `expected an absolute path, found ${describeValue(value)}`);
  if (!value.startsWith('/')) throw optsError(field, `${describeValue(value)} is not absolute (must start with "/")`);
  const trimmed = value.length > 1 && value.endsWith('/') ? value.slice(0, -1) : value;
  if (value.includes('\0') || posix.normalize(trimmed) !== trimmed || trimmed.split('/').some((s) => s === '..' || s === '.')) {
    throw optsError(field, `${describeValue(value)} is not a normalised path (no "..", "." or empty segments)`);
  }
  return trimmed;
}

export function stringList(opts: JsonObject, field: string): string[] {
  const value = opts[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw optsError(field, `expected an array of strings, found ${describeValue(value)}`);
  }
  return value as string[];
}

/**
 * Whether the device's `/` is the system's own (a container, a namespace device, peridiod on a
 * board) rather than mapped into its directory on the host (inproc and process devices): a tool
 * that writes into `/` or runs commands would act on the host in the second case.
 */
export function ownRoot(paths: DevicePaths): boolean {
  return paths.map('/usr') === '/usr';
}
