import { describe, expect, it } from 'vitest';
import { jsonTextTooDeep, MAX_JSON_DEPTH, tooDeep } from './json-depth.js';

const nested = (depth: number, leaf: unknown = 1): unknown => {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};

describe('tooDeep', () => {
  it('accepts scalars and values up to the limit', () => {
    expect(tooDeep(null)).toBeUndefined();
    expect(tooDeep('x')).toBeUndefined();
    expect(tooDeep({ a: { b: [1, { c: 2 }] } })).toBeUndefined();
    expect(tooDeep(nested(MAX_JSON_DEPTH))).toBeUndefined();
  });

  it('names the path of the first value nested too deep, even 100 000 levels down', () => {
    expect(tooDeep(nested(MAX_JSON_DEPTH + 1))).toBe(`$${'[0]'.repeat(MAX_JSON_DEPTH)}`);
    expect(tooDeep({ custom_metadata: { 'a b': nested(5) } }, 3)).toBe('$.custom_metadata["a b"][0]');
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown;
    expect(tooDeep(deep)?.startsWith('$[0][0]')).toBe(true);
  });
});

describe('jsonTextTooDeep', () => {
  it('finds where JSON text nests too deep, ignoring brackets inside strings', () => {
    expect(jsonTextTooDeep('{"a": [1, {"b": "[[[[[["}], "c": "\\"[["}', 3)).toBe(-1);
    expect(jsonTextTooDeep('{"a": [[1]]}', 2)).toBe(7);
    expect(jsonTextTooDeep(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`)).toBe(-1);
    expect(jsonTextTooDeep('['.repeat(8_000_000))).toBe(MAX_JSON_DEPTH);
    expect(jsonTextTooDeep('not json')).toBe(-1);
  });
});
