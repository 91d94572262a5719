import { isUuid, parsePrn, type PrnType } from '@vfleet/core';
import { HttpError } from './http-error.js';

/** A path or query id given as UUID or PRN of `type`; anything else cannot name a row → 404. */
export function idOf(text: string, type: PrnType): string {
  if (isUuid(text)) return text.toLowerCase();
  if (text.startsWith('prn:')) {
    try {
      return parsePrn(text, 'id', type).uuid.toLowerCase();
    } catch {
      // fall through to the 404 below
    }
  }
  throw new HttpError(404, 'not_found', `no ${type} ${JSON.stringify(text)} (expected its UUID or PRN)`);
}

export function found<T>(row: T | undefined, type: string, id: string): T {
  if (row === undefined) throw new HttpError(404, 'not_found', `no ${type} ${JSON.stringify(id)}`);
  return row;
}

/** Query parameters: unknown names are refused, so a typo never silently widens a listing. */
export function queryOf(query: URLSearchParams, allowed: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of query) {
    if (!allowed.includes(key)) {
      const accepted = allowed.length > 0 ? allowed.join(', ') : 'none';
      throw new HttpError(400, 'unknown_field', `query.${key}: unknown parameter (accepted: ${accepted})`, `query.${key}`);
    }
    out[key] = value;
  }
  return out;
}

export function intParam(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new HttpError(400, 'invalid_value', `query.${name}: expected an integer from ${min} to ${max}, got ${JSON.stringify(value)}`, `query.${name}`);
  }
  return n;
}
