// Tokens of libconfuse's configuration syntax, the language of fwup's meta.conf.
import { fwupError } from './fwup-error.js';

export interface Position {
  line: number;
  column: number;
}

export type Token =
  | { kind: 'string'; text: string; quoted: boolean; at: Position }
  | { kind: '{' | '}' | '(' | ')' | '=' | '+=' | ','; at: Position }
  | { kind: 'end'; at: Position };

export interface LexOptions {
  source: string;
  /** Values for `${NAME}` (libconfuse reads the environment); an unset name expands to `${NAME:-default}`'s default or "". */
  variables: Readonly<Record<string, string>>;
}

const UNQUOTED_STOP = new Set([' ', '\t', '\n', '\r', '#', '"', "'", '=', '{', '}', '(', ')', '+', ',', '*']);
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', b: '\b', f: '\f', a: '\x07', e: '\x1b', t: '\t', v: '\v' };

export function tokenize(text: string, opts: LexOptions): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const at = (pos = i): Position => ({ line, column: pos - lineStart + 1 });
  const fail = (detail: string, where: Position = at()): never => {
    throw fwupError('archive', `${opts.source}:${where.line}:${where.column}`, detail);
  };
  const newline = (): void => {
    line++;
    lineStart = i + 1;
  };
  const expand = (body: string): string => {
    const dash = body.indexOf(':-');
    const name = dash < 0 ? body : body.slice(0, dash);
    // own keys only: ${constructor} is an unset variable, not Object's constructor
    const value = Object.hasOwn(opts.variables, name) ? opts.variables[name] : undefined;
    return value ?? (dash < 0 ? '' : body.slice(dash + 2));
  };
  const variable = (): string => {
    const close = text.indexOf('}', i);
    if (close < 0) fail('unterminated ${…} reference');
    const value = expand(text.slice(i + 2, close));
    i = close + 1;
    return value;
  };

  while (i < text.length) {
    const c = text[i]!;
    const start = at();
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '\n') {
      newline();
      i++;
    } else if (c === '#' || text.startsWith('//', i)) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (text.startsWith('/*', i)) {
      const close = text.indexOf('*/', i + 2);
      if (close < 0) fail('unterminated /* comment');
      for (; i < close + 2; i++) if (text[i] === '\n') newline();
    } else if (text.startsWith('+=', i)) {
      tokens.push({ kind: '+=', at: start });
      i += 2;
    } else if ('{}()=,'.includes(c)) {
      tokens.push({ kind: c as '{' | '}' | '(' | ')' | '=' | ',', at: start });
      i++;
    } else if (c === '"') {
      i++;
      let value = '';
      for (;;) {
        if (i >= text.length) fail('unterminated string', start);
        const d = text[i]!;
        if (d === '"') break;
        if (d === '$' && text[i + 1] === '{') {
          value += variable();
          continue;
        }
        if (d === '\\') {
          const e = text[i + 1] ?? '';
          const octal = /^[0-7]{1,3}/.exec(text.slice(i + 1, i + 4))?.[0];
          const hex = e === 'x' ? /^[0-9A-Fa-f]{1,2}/.exec(text.slice(i + 2, i + 4))?.[0] : undefined;
          if (e === '\n') {
            line++;
            lineStart = i + 2;
          } else if (e === '8' || e === '9') {
            fail(`bad escape sequence \\${e}`);
          } else if (octal !== undefined) {
            if (parseInt(octal, 8) > 0xff) fail(`invalid octal escape \\${octal}`);
            value += String.fromCharCode(parseInt(octal, 8));
            i += octal.length - 1;
          } else if (hex !== undefined) {
            value += String.fromCharCode(parseInt(hex, 16));
            i += hex.length;
          } else {
            value += ESCAPES[e] ?? e;
          }
          i += 2;
          continue;
        }
        if (d === '\n') newline();
        value += d;
        i++;
      }
      i++;
      tokens.push({ kind: 'string', text: value, quoted: true, at: start });
    } else if (c === "'") {
      i++;
      let value = '';
      for (;;) {
        if (i >= text.length) fail('unterminated string', start);
        const d = text[i]!;
        if (d === "'") break;
        if (d === '\\' && (text[i + 1] === '\\' || text[i + 1] === "'")) {
          value += text[i + 1];
          i += 2;
          continue;
        }
        if (d === '\n') newline();
        value += d;
        i++;
      }
      i++;
      tokens.push({ kind: 'string', text: value, quoted: true, at: start });
    } else if (c === '$' && text[i + 1] === '{') {
      tokens.push({ kind: 'string', text: variable(), quoted: false, at: start });
    } else if (!UNQUOTED_STOP.has(c)) {
      const begin = i;
      while (i < text.length && !UNQUOTED_STOP.has(text[i]!) && !text.startsWith('//', i) && !text.startsWith('/*', i)) i++;
      tokens.push({ kind: 'string', text: text.slice(begin, i), quoted: false, at: start });
    } else {
      fail(`unexpected character ${JSON.stringify(c)}`);
    }
  }
  tokens.push({ kind: 'end', at: at() });
  return tokens;
}
