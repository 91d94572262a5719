// Test helper: reproducible random variable sets (not exported from the package).

import { seededRandom } from '../random/seeded.js';

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
