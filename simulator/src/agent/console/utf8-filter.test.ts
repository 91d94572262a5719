import { describe, expect, it } from 'vitest';
import { createUtf8Filter } from './utf8-filter.js';

const bytes = (...b: number[]) => Uint8Array.from(b);

describe('createUtf8Filter', () => {
  it('passes valid text through, every plane', () => {
    const f = createUtf8Filter();
    const text = 'a é € 𝄞 z';
    expect(f(Buffer.from(text))).toBe(text);
  });

  it('keeps a sequence split across chunks intact, at every split point', () => {
    const whole = Buffer.from('x€𝄞y');
    for (let cut = 0; cut <= whole.length; cut++) {
      const f = createUtf8Filter();
      expect(f(whole.subarray(0, cut)) + f(whole.subarray(cut))).toBe('x€𝄞y');
    }
    const f = createUtf8Filter();
    expect([0xf0, 0x9d, 0x84, 0x9e].map((b) => f(bytes(b))).join('')).toBe('𝄞');
  });

  it.each([
    ['a lone continuation byte', [0x61, 0x80, 0x62], 'ab'],
    ['0xff', [0x61, 0xff, 0x62], 'ab'],
    ['an overlong encoding of "/"', [0x61, 0xc0, 0xaf, 0x62], 'ab'],
    ['an overlong 3-byte form', [0x61, 0xe0, 0x80, 0xaf, 0x62], 'ab'],
    ['a UTF-16 surrogate', [0x61, 0xed, 0xa0, 0x80, 0x62], 'ab'],
    ['a code point above U+10FFFF', [0x61, 0xf4, 0x90, 0x80, 0x80, 0x62], 'ab'],
    ['a truncated sequence followed by ASCII', [0x61, 0xe2, 0x82, 0x62], 'ab'],
    ['a truncated sequence followed by a valid one', [0xe2, 0x82, 0xe2, 0x82, 0xac], '€'],
  ])('drops %s', (_what, input, expected) => {
    const out = createUtf8Filter()(bytes(...input));
    expect(out).toBe(expected);
    expect(out).not.toContain('\ufffd');
  });

  it('drops a held prefix that the next chunk does not complete', () => {
    const f = createUtf8Filter();
    expect(f(bytes(0x61, 0xe2, 0x82))).toBe('a');
    expect(f(bytes(0x41, 0x42))).toBe('AB');
  });
});
