// A reader for the libconfig syntax of sw-description (settings, groups, lists, arrays, scalars,
// comments); enough for vfleet to check a .swu before swupdate runs it. No @include.
import { VfleetError } from '@vfleet/core';

export type LcValue = string | number | boolean | LcValue[] | LcGroup;
export interface LcGroup {
  readonly [name: string]: LcValue;
}

export const isGroup = (v: LcValue | undefined): v is LcGroup => typeof v === 'object' && !Array.isArray(v);

const ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Parses libconfig text into nested groups (plain objects), lists and arrays (arrays), and scalars. */
export function parseLibconfig(text: string, source: string): LcGroup {
  let i = 0;
  const fail = (what: string): never => {
    const line = text.slice(0, i).split('\n').length;
    throw new VfleetError('VFLEET_USAGE', `${source}: line ${line}: ${what}`);
  };
  const skip = (): void => {
    for (;;) {
      while (i < text.length && /\s/.test(text[i] as string)) i++;
      if (text[i] === '#' || text.startsWith('//', i)) {
        while (i < text.length && text[i] !== '\n') i++;
      } else if (text.startsWith('/*', i)) {
        const end = text.indexOf('*/', i + 2);
        if (end < 0) fail('comment not closed');
        i = end + 2;
      } else return;
    }
  };
  const peek = (): string => {
    skip();
    return text[i] ?? '';
  };
  const expect = (c: string): void => {
    if (peek() !== c) fail(`expected "${c}", found ${i < text.length ? JSON.stringify(text[i]) : 'the end'}`);
    i++;
  };
  const string = (): string => {
    let out = '';
    while (peek() === '"') {
      i++;
      for (;;) {
        const c = text[i++];
        if (c === undefined) fail('string not closed');
        if (c === '"') break;
        if (c !== '\\') {
          out += c;
          continue;
        }
        const e = text[i++] ?? '';
        if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i, i + 2))) {
          out += String.fromCharCode(parseInt(text.slice(i, i + 2), 16));
          i += 2;
        } else if (ESCAPES[e] !== undefined) out += ESCAPES[e];
        else fail(`unknown escape \\${e}`);
      }
    }
    return out;
  };
  const scalar = (): string | number | boolean => {
    if (peek() === '"') return string();
    const m = /^(?:true|false|[-+]?0[xX][0-9a-fA-F]+L{0,2}|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?L{0,2})/i.exec(text.slice(i));
    if (!m) fail(`expected a value, found ${JSON.stringify(text.slice(i, i + 12))}`);
    const word = (m as RegExpExecArray)[0];
    i += word.length;
    if (/^(true|false)$/i.test(word)) return word.toLowerCase() === 'true';
    const n = Number(word.replace(/L+$/i, ''));
    if (!Number.isFinite(n)) fail(`bad number ${word}`);
    return n;
  };
  const value = (): LcValue => {
    const c = peek();
    if (c === '{') {
      i++;
      const g = settings('}');
      expect('}');
      return g;
    }
    if (c === '(' || c === '[') {
      i++;
      const close = c === '(' ? ')' : ']';
      const items: LcValue[] = [];
      while (peek() !== close) {
        items.push(c === '(' ? value() : scalar());
        if (peek() === ',') i++;
        else break;
      }
      expect(close);
      return items;
    }
    return scalar();
  };
  const settings = (end: string): LcGroup => {
    const group: Record<string, LcValue> = Object.create(null) as Record<string, LcValue>;
    while (peek() !== end && i < text.length) {
      if (text[i] === '@') fail('@include is not supported');
      const m = /^[A-Za-z*][-A-Za-z0-9_*]*/.exec(text.slice(i));
      if (!m) fail(`expected a setting name, found ${JSON.stringify(text.slice(i, i + 12))}`);
      const name = (m as RegExpExecArray)[0];
      i += name.length;
      const sep = peek();
      if (sep !== '=' && sep !== ':') fail(`expected "=" or ":" after ${name}`);
      i++;
      if (Object.hasOwn(group, name)) fail(`setting ${name} appears twice`);
      group[name] = value();
      const after = peek();
      if (after === ';' || after === ',') i++;
    }
    return group;
  };
  const root = settings('');
  if (peek() !== '') fail(`unexpected ${JSON.stringify(text[i])}`);
  return root;
}
