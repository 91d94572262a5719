export type Segments = readonly (string | number)[];

/** `$.a.b[1]`; keys that are not plain identifiers use `['…']` (e.g. `$['socket_enabled?']`). */
export function jsonPath(segments: Segments): string {
  return '$' + segments.map((s) =>
    typeof s === 'number' ? `[${s}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s).replaceAll('"', "'")}]`,
  ).join('');
}

/** A short description of a JSON value for messages: `string "5000"`, `number 1.5`, `an array`. */
export function describeFound(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') {
    return `string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
  }
  return `${typeof value} ${String(value)}`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
