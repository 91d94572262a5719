import { isUuid, parsePrn, type PrnType } from '@vfleet/core';
import { cutUnits, escapeControls } from '../../agent/connect/log-text.js';
import { StoreError } from './errors.js';

const LINE_BREAKS = new Set([0x0a, 0x0d]);
// C0, DEL and C1 (0x9b is a one-byte CSI on some terminals, so a stored value could drive the reader's terminal)
const hasControl = (text: string, multiline = false): boolean =>
  [...text].some((c) => {
    const code = c.charCodeAt(0);
    return (code < 0x20 || (code >= 0x7f && code <= 0x9f)) && !(multiline && LINE_BREAKS.has(code));
  });
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** A value as it is quoted in an error message: JSON with DEL and C1 escaped too, cut to 60 characters (never inside a pair). */
export function show(value: unknown): string {
  const text = escapeControls(JSON.stringify(value) ?? String(value));
  return text.length <= 60 ? text : `${cutUnits(text, 57)}...`;
}

/**
 * Reads one entity's input object at the store boundary: rejects unknown fields, checks each
 * value's type and range, and names `<entity>.<field>` in every message.
 */
export class Fields {
  readonly entity: string;
  private readonly obj: Record<string, unknown>;

  constructor(entity: string, input: unknown, allowed: readonly string[]) {
    this.entity = entity;
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new StoreError('invalid', entity, `expected an object, got ${show(input)}`);
    }
    this.obj = input as Record<string, unknown>;
    const unknown = Object.keys(this.obj).filter((k) => !allowed.includes(k));
    if (unknown.length > 0) {
      throw new StoreError(
        'unknown_field',
        `${entity}.${escapeControls(unknown[0] ?? '')}`,
        `unknown field${unknown.length > 1 ? 's' : ''} ${escapeControls(unknown.join(', '))} (accepted: ${allowed.join(', ')})`,
      );
    }
  }

  has(name: string): boolean {
    return Object.hasOwn(this.obj, name) && this.obj[name] !== undefined;
  }

  fail(name: string, detail: string, kind: 'invalid' | 'reference' | 'conflict' = 'invalid'): never {
    throw new StoreError(kind, `${this.entity}.${name}`, detail);
  }

  private expected(name: string, what: string): never {
    return this.fail(name, `expected ${what}, got ${show(this.obj[name])}`);
  }

  /** A required, non-empty string without control characters (line breaks allowed when `multiline`, for PEM). */
  text(name: string, max = 200, multiline = false): string {
    const value = this.obj[name];
    if (typeof value !== 'string' || value === '') return this.expected(name, 'a non-empty string');
    if (value.length > max) this.fail(name, `is ${value.length} characters, at most ${max} accepted`);
    if (hasControl(value, multiline)) this.fail(name, 'contains control characters');
    return value;
  }

  /** Absent or null → null; otherwise as `text`. */
  optText(name: string, max = 2000): string | null {
    return this.obj[name] === null || !this.has(name) ? null : this.text(name, max);
  }

  bool(name: string, fallback: boolean): boolean {
    if (!this.has(name)) return fallback;
    const value = this.obj[name];
    return typeof value === 'boolean' ? value : this.expected(name, 'true or false');
  }

  int(name: string, min: number, max: number): number {
    const value = this.obj[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      return this.expected(name, `an integer from ${min} to ${max}`);
    }
    return value;
  }

  optInt(name: string, min: number, max: number): number | null {
    return this.obj[name] === null || !this.has(name) ? null : this.int(name, min, max);
  }

  /** Present with the value null (as opposed to absent). */
  isNull(name: string): boolean {
    return Object.hasOwn(this.obj, name) && this.obj[name] === null;
  }

  number(name: string): number {
    const value = this.obj[name];
    return typeof value === 'number' && Number.isFinite(value) ? value : this.expected(name, 'a number');
  }

  /** An ISO-8601 date-time with a zone, normalised to `toISOString()` form. */
  iso(name: string): string {
    const value = this.obj[name];
    if (typeof value !== 'string' || !ISO.test(value) || Number.isNaN(Date.parse(value))) {
      return this.expected(name, 'an ISO-8601 date-time with a zone, e.g. 2026-01-31T12:00:00Z');
    }
    return new Date(value).toISOString();
  }

  optIso(name: string): string | null {
    return this.obj[name] === null || !this.has(name) ? null : this.iso(name);
  }

  /** A list of distinct non-empty strings (duplicates dropped, order kept). */
  strings(name: string, maxItems = 100, maxLength = 128): string[] {
    const value = this.obj[name];
    if (!Array.isArray(value)) return this.expected(name, 'an array of strings');
    if (value.length > maxItems) this.fail(name, `has ${value.length} items, at most ${maxItems} accepted`);
    value.forEach((item, i) => {
      if (typeof item !== 'string' || item === '' || item.length > maxLength || hasControl(item)) {
        this.fail(`${name}[${i}]`, `expected a non-empty string of at most ${maxLength} printable characters, got ${show(item)}`);
      }
    });
    return [...new Set(value as string[])];
  }

  optStrings(name: string): string[] | null {
    return this.obj[name] === null || !this.has(name) ? null : this.strings(name);
  }

  /** A JSON object (arrays and scalars refused) or null. */
  object(name: string): Record<string, unknown> | null {
    const value = this.obj[name];
    if (value === null || !this.has(name)) return null;
    if (typeof value !== 'object' || Array.isArray(value)) return this.expected(name, 'a JSON object or null');
    return value as Record<string, unknown>;
  }

  /** A resource id given as its UUID or its PRN of `type`; returns the UUID (lowercase). */
  ref(name: string, type: PrnType): string {
    return this.toUuid(name, this.obj[name], type);
  }

  /** An id the caller chose (seeding fixed ids, as the EVK fixtures do), or undefined for a random one. */
  chosenUuid(type: PrnType): string | undefined {
    return this.optRef('uuid', type) ?? undefined;
  }

  optRef(name: string, type: PrnType): string | null {
    return this.obj[name] === null || !this.has(name) ? null : this.ref(name, type);
  }

  refs(name: string, type: PrnType, maxItems = 100_000): string[] {
    const value = this.obj[name];
    if (!Array.isArray(value)) return this.expected(name, `an array of ${type} UUIDs or PRNs`);
    if (value.length > maxItems) this.fail(name, `has ${value.length} items, at most ${maxItems} accepted`);
    return value.map((item, i) => this.toUuid(`${name}[${i}]`, item, type));
  }

  private toUuid(name: string, value: unknown, type: PrnType): string {
    if (typeof value === 'string') {
      if (isUuid(value)) return value.toLowerCase();
      if (value.startsWith('prn:')) {
        try {
          return parsePrn(value, 'value', type).uuid.toLowerCase();
        } catch (cause) {
          const detail = (cause as Error).message.replace(/^value: /, '');
          throw new StoreError('invalid', `${this.entity}.${name}`, detail, { cause });
        }
      }
    }
    return this.fail(name, `expected a ${type} UUID or PRN, got ${show(value)}`);
  }
}
