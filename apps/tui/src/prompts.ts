// Parsers for what users type into prompts: a value, or an error saying what was wrong and what is accepted.

export type Parsed<T> = { value: T } | { error: string };

export function parseCount(text: string, min: number, max: number): Parsed<number> {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return { error: `${JSON.stringify(t)} is not a whole number: enter ${min}–${max}` };
  const n = Number(t);
  if (n < min || n > max) return { error: `${n} is out of range: enter ${min}–${max}` };
  return { value: n };
}

export function parsePort(text: string, fallback: number): Parsed<number> {
  if (text.trim() === '') return { value: fallback };
  const n = parseCount(text, 1, 65_535);
  return 'error' in n ? { error: n.error.replace(/whole number/, 'port number') } : n;
}

export function parseSemver(text: string): Parsed<string> {
  const t = text.trim();
  if (!/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.test(t)) return { error: `${JSON.stringify(t)} is not a version: use MAJOR.MINOR.PATCH, e.g. 2.1.0` };
  return { value: t };
}

/** Comma-separated tags; empty means "no tag gate" (null). */
export function parseTags(text: string): Parsed<string[] | null> {
  const tags = text.split(',').map((t) => t.trim()).filter(Boolean);
  if (tags.length === 0) return { value: null };
  const bad = tags.find((t) => !/^[\w.:-]+$/.test(t));
  if (bad !== undefined) return { error: `${JSON.stringify(bad)} is not a tag: use letters, digits, '.', ':', '_' or '-'` };
  return { value: tags };
}
