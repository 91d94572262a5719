import { describe, expect, it } from 'vitest';
import { jsonTextTooDeep, MAX_JSON_DEPTH } from './json-depth.js';

describe('jsonTextTooDeep', () => {
  it('finds where JSON text nests too deep, ignoring brackets inside strings', () => {
    expect(jsonTextTooDeep('{"a": [1, {"b": "[[[[[["}], "c": "\\"[["}', 3)).toBe(-1);
    expect(jsonTextTooDeep('{"a": [[1]]}', 2)).toBe(7);
    expect(jsonTextTooDeep(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`)).toBe(-1);
    expect(jsonTextTooDeep('['.repeat(8_000_000))).toBe(MAX_JSON_DEPTH);
    expect(jsonTextTooDeep('not json')).toBe(-1);
  });
});
