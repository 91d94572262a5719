export interface JsonSyntaxError {
  offset: number;
  line: number;
  column: number;
  reason: string;
}

class Fail {
  constructor(readonly offset: number, readonly reason: string) {}
}

function found(text: string, i: number): string {
  if (i >= text.length) return 'the end of the input';
  const c = text[i] as string;
  if (c === '\uFEFF') return 'U+FEFF (byte order mark)';
  const code = c.charCodeAt(0);
  return code < 0x20 || code === 0x7f ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}` : `'${c}'`;
}

/** Finds where and why `text` is not valid JSON (RFC 8259, as JSON.parse reads it); null if it is valid. */
export function locateJsonError(text: string): JsonSyntaxError | null {
  let i = 0;
  const fail = (expected: string): never => {
    throw new Fail(i, `expected ${expected}, found ${found(text, i)}`);
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const literal = (word: string): void => {
    if (!text.startsWith(word, i)) fail(`a JSON value (did you mean ${word}?)`);
    i += word.length;
  };
  const str = (): void => {
    i++;
    for (;;) {
      const c = text[i];
      if (c === undefined) fail('a closing \'"\' (unterminated string)');
      if (c === '"') return void i++;
      if ((c as string).charCodeAt(0) < 0x20) fail('an escaped control character (\\n, \\t, \\u00XX) inside the string');
      if (c === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail('4 hex digits after \\u');
          i += 5;
        } else if (text[i] !== undefined && '"\\/bfnrt'.includes(text[i] as string)) i++;
        else fail('one of \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX');
      } else i++;
    }
  };
  const num = (): void => {
    const m = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(text.slice(i));
    if (m === null || m[0] === '-') fail('a JSON value');
    i += (m as RegExpExecArray)[0].length;
    if (/[0-9.eE+-]/.test(text[i] ?? '')) fail('a valid number (no leading zeros, digits after "." and "e")');
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail(text[i] === '}' ? 'a property name in double quotes (trailing comma?)' : 'a property name in double quotes');
        str();
        ws();
        if (text[i] !== ':') fail("':' after the property name");
        i++;
        value();
        ws();
        if (text[i] === '}') return void i++;
        if (text[i] !== ',') fail("',' or '}' after the property value");
        i++;
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        if (text[i] === ']') fail('an array element (trailing comma?)');
        value();
        ws();
        if (text[i] === ']') return void i++;
        if (text[i] !== ',') fail("',' or ']' after the array element");
        i++;
        ws();
      }
    }
    if (c === '"') return str();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return num();
    fail('a JSON value');
  };
  try {
    value();
    ws();
    if (i < text.length) fail('nothing after the JSON value');
    return null;
  } catch (e) {
    if (!(e instanceof Fail)) throw e;
    const before = text.slice(0, e.offset);
    const line = before.split('\n').length;
    const column = e.offset - (before.lastIndexOf('\n') + 1) + 1;
    return { offset: e.offset, line, column, reason: e.reason };
  }
}
