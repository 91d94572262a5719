import { describe, it, expect } from 'vitest';
import type { VfleetError } from '../errors.js';
import { canonicalJson, erlangFloat, JsonFloat } from './index.js';

describe('canonicalJson', () => {
  it('sorts keys recursively (inside arrays too) and drops whitespace', () => {
    const value = { b: [{ z: 1, a: 2 }], a: { d: null, c: true } };
    expect(canonicalJson(value)).toBe('{"a":{"c":true,"d":null},"b":[{"a":2,"z":1}]}');
  });

  it('sorts by UTF-8 byte order, not UTF-16 code units', () => {
    // UTF-16 puts U+1F600 (surrogate 0xD83D) before U+FF5E; UTF-8 puts U+FF5E (0xEF..) before U+1F600 (0xF0..).
    const value = { '\u{1F600}': 1, '\uFF5E': 2, Z: 3, a: 4 };
    expect(Object.keys(value).sort()).toEqual(['Z', 'a', '\u{1F600}', '\uFF5E']);
    expect(canonicalJson(value)).toBe('{"Z":3,"a":4,"\uFF5E":2,"\u{1F600}":1}');
  });

  it('escapes like Jason: / and non-ASCII raw, controls as uppercase \\u00XX', () => {
    expect(canonicalJson({ p: '/opt/a', s: 'é\u2028😀', q: '"\\\b\f\n\r\t', c: '\u0001\u001f\u007f' }))
      .toBe('{"c":"\\u0001\\u001F\u007f","p":"/opt/a","q":"\\"\\\\\\b\\f\\n\\r\\t","s":"é\u2028😀"}');
  });

  it('writes integers exactly and non-integral numbers as Erlang floats', () => {
    expect(canonicalJson([0, -7, 1e21, 12345678901234567890n, 0.5, 1e-7])).toBe(
      '[0,-7,1000000000000000000000,12345678901234567890,0.5,1.0e-7]',
    );
  });

  it('cannot tell 1.0 from 1 after JSON.parse; JsonFloat restores what Jason writes', () => {
    // The server sent {"x":1.0}: Jason re-encodes 1.0, JS has lost the ".0" and writes 1.
    expect(canonicalJson(JSON.parse('{"x":1.0}'))).toBe('{"x":1}');
    expect(canonicalJson({ x: new JsonFloat(1) })).toBe('{"x":1.0}');
  });

  it.each([
    [{ a: undefined }, 'meta.a', /undefined is not JSON/],
    [{ a: [1, Number.NaN] }, 'meta.a[1]', /NaN is not a JSON number/],
    [{ a: new Date(0) }, 'meta.a', /a non-plain object is not JSON/],
    [{ s: 'x\uD800' }, 'meta.s', /lone UTF-16 surrogate/],
  ])('rejects %o at %s', (value, at, why) => {
    let err: unknown;
    try {
      canonicalJson(value, 'meta');
    } catch (e) {
      err = e;
    }
    expect((err as VfleetError).code).toBe('VFLEET_STATE_INVALID');
    expect((err as VfleetError).message).toContain(`${at}: cannot encode as canonical JSON`);
    expect((err as VfleetError).message).toMatch(why);
  });
});

describe('erlangFloat (float_to_binary(F, [short]))', () => {
  // Cases from the comment tables of OTP erts/emulator/ryu/to_chars.h, plus edges.
  it.each([
    [1e-4, '0.0001'],
    [1e-5, '1.0e-5'],
    [100, '100.0'],
    [1000, '1.0e3'],
    [1e5, '1.0e5'],
    [1234e-6, '0.001234'],
    [1234e-7, '1.234e-4'],
    [12340, '12340.0'],
    [123400, '1.234e5'],
    [1234567890, '1234567890.0'],
    [12345678900, '12345678900.0'],
    [1, '1.0'],
    [0.1, '0.1'],
    [-2.5, '-2.5'],
    [0, '0.0'],
    [-0, '-0.0'],
    [2 ** 53, '9.007199254740992e15'],
    [2 ** 53 - 1, '9007199254740991.0'],
    [5e-324, '5.0e-324'],
    [1.7976931348623157e308, '1.7976931348623157e308'],
  ])('%d → %s', (x, expected) => {
    expect(erlangFloat(x)).toBe(expected);
  });
});
