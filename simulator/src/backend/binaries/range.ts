/** A parsed `Range: bytes=…` header against a file of `size` bytes (single ranges only). */
export type RangeResult = { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

/**
 * RFC 9110 §14.2: a Range in a unit other than bytes (or not a ranges-specifier at all) is ignored,
 * and so is a set of several ranges (this server sends no multipart answers): the whole content
 * goes out. One byte range that is invalid or lies past the end is unsatisfiable (416).
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return { kind: 'full' };
  const eq = header.indexOf('=');
  if (eq < 0 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return { kind: 'full' };
  const set = header.slice(eq + 1).trim();
  if (set.includes(',')) return { kind: 'full' };
  const m = /^(\d*)-(\d*)$/.exec(set);
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'unsatisfiable' };
  const [, a = '', b = ''] = m;
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (start >= size || end < start) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end };
}
