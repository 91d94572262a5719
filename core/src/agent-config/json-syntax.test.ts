import { describe, it, expect } from 'vitest';
import { locateJsonError } from './index.js';

describe('locateJsonError', () => {
  it('returns null for valid JSON', () => {
    expect(locateJsonError(' {"a": [1, -2.5e3, true, null, "x\\u00e9\\n"], "b": {}} \n')).toBeNull();
  });

  it.each([
    ['{"a": 1,}', 1, 9, "expected a property name in double quotes (trailing comma?), found '}'"],
    ['[1, 2,]', 1, 7, "expected an array element (trailing comma?), found ']'"],
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3, "expected ',' or '}' after the property value, found '\"'"],
    ['{\r\n "a": tru\r\n}', 2, 7, 'expected a JSON value (did you mean true?)'],
    ['{"a": "abc', 1, 11, 'expected a closing \'"\' (unterminated string), found the end of the input'],
    ['{"a": "x\ny"}', 1, 9, 'expected an escaped control character'],
    ['{"a": "\\x"}', 1, 9, 'expected one of'],
    ['{"a": 01}', 1, 8, 'expected a valid number'],
    ['{a: 1}', 1, 2, 'expected a property name in double quotes'],
    ['\uFEFF{}', 1, 1, 'expected a JSON value, found U+FEFF (byte order mark)'],
    ['{} {}', 1, 4, "expected nothing after the JSON value, found '{'"],
    ['', 1, 1, 'expected a JSON value, found the end of the input'],
  ])('%j → line %i, column %i', (text, line, column, reason) => {
    const where = locateJsonError(text);
    expect(where).not.toBeNull();
    expect(where?.line).toBe(line);
    expect(where?.column).toBe(column);
    expect(where?.reason).toContain(reason);
    expect(() => JSON.parse(text)).toThrow();
  });
});
