import { VfleetError } from '../errors.js';
import { erlangFloat } from './erlang-float.js';

/**
 * Marks a number that Jason holds as a float. JS cannot tell `1.0` from `1` after JSON.parse,
 * so integral numbers are written as integers unless wrapped in JsonFloat.
 */
export class JsonFloat {
  constructor(readonly value: number) {}
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"', '\\': '\\\\', '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r',
};
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function fail(where: string, why: string): never {
  throw new VfleetError('VFLEET_STATE_INVALID', `${where}: cannot encode as canonical JSON: ${why}`);
}

// Jason's default escaping: only `"`, `\` and C0 controls (uppercase \u00XX); `/` and non-ASCII raw.
function encodeString(s: string, where: string): string {
  if (LONE_SURROGATE.test(s)) fail(where, 'string contains a lone UTF-16 surrogate (not valid UTF-8)');
  // eslint-disable-next-line no-control-regex -- matching C0 controls is the point
  return `"${s.replace(/["\\\u0000-\u001F]/g, (c) =>
    SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`)}"`;
}

function encodeNumber(n: number, where: string): string {
  if (!Number.isFinite(n)) fail(where, `${n} is not a JSON number`);
  if (!Number.isInteger(n)) return erlangFloat(n);
  // Integers are exact in Elixir; String() would switch to exponent form at 1e21.
  return BigInt(n).toString();
}

function byUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function encode(value: unknown, where: string): string {
  if (value === null) return 'null';
  if (value === true || value === false) return String(value);
  if (typeof value === 'string') return encodeString(value, where);
  if (typeof value === 'number') return encodeNumber(value, where);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof JsonFloat) {
    if (!Number.isFinite(value.value)) fail(where, `${value.value} is not a JSON number`);
    return erlangFloat(value.value);
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => encode(v, `${where}[${i}]`)).join(',')}]`;
  const proto: unknown = typeof value === 'object' ? Object.getPrototypeOf(value) : undefined;
  if (proto !== Object.prototype && proto !== null) {
    fail(where, `${typeof value === 'object' ? 'a non-plain object' : typeof value} is not JSON`);
  }
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => byUtf8(a, b));
  return `{${entries.map(([k, v]) => `${encodeString(k, where)}:${encode(v, `${where}.${k}`)}`).join(',')}}`;
}

/**
 * Compact JSON with object keys sorted by UTF-8 byte order, as peridiod produces it for the
 * custom_metadata hash (sort keys, then Jason.encode!). Erlang only keeps map keys sorted up
 * to 32 keys per object; larger objects are in hash order there and cannot be reproduced.
 */
export function canonicalJson(value: unknown, where = 'value'): string {
  return encode(value, where);
}
