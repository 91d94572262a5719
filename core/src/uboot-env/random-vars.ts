// Test helper: reproducible random variable sets (not exported from the package).

/** mulberry32: a tiny seeded PRNG so failures can be replayed. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAME_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-';
const ASCII_VALUE_CHARS = NAME_CHARS + ' =:/,;+*"\'!?@$%&()[]{}<>|~^`';
const UNICODE_VALUE_CHARS = ASCII_VALUE_CHARS + 'äöüßéñ€漢字🙂';

function pick(rand: () => number, chars: string, length: number): string {
  const pool = [...chars];
  let out = '';
  for (let i = 0; i < length; i++) out += pool[Math.floor(rand() * pool.length)];
  return out;
}

/**
 * `count` distinct names with values; `ascii` keeps to what a mkenvimage input line can carry
 * (no newline, no backslash, no leading "#").
 */
export function randomVars(seed: number, count: number, ascii = false): Map<string, string> {
  const rand = seededRandom(seed);
  const vars = new Map<string, string>();
  while (vars.size < count) {
    const name = pick(rand, NAME_CHARS, 1 + Math.floor(rand() * 24));
    vars.set(name, pick(rand, ascii ? ASCII_VALUE_CHARS : UNICODE_VALUE_CHARS, Math.floor(rand() * 80)));
  }
  return vars;
}
