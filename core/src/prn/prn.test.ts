import { describe, it, expect } from 'vitest';
import { VfleetError } from '../errors.js';
import { formatPrn, isPrnType, makePrn, parsePrn, prnUuid, truncatePrn } from './index.js';

const ORG = '92d0a3ed-9058-4632-ae29-f420078c4507';
const BIN = 'efb1bf04-affd-4256-b959-d8d8fa2f9d78';

function errorOf(fn: () => unknown): VfleetError {
  try {
    fn();
  } catch (e) {
    if (e instanceof VfleetError) return e;
    throw e;
  }
  throw new Error('expected a VfleetError');
}

describe('parsePrn / formatPrn', () => {
  it('splits the five fields and formats them back', () => {
    const text = `prn:1:${ORG}:binary:${BIN}`;
    const prn = parsePrn(text);
    expect(prn).toEqual({ org: ORG, type: 'binary', uuid: BIN });
    expect(formatPrn(prn)).toBe(text);
  });

  it('accepts type names it does not list (server-defined types)', () => {
    expect(parsePrn(`prn:1:${ORG}:webhook:${BIN}`).type).toBe('webhook');
    expect(isPrnType('webhook')).toBe(false);
    expect(isPrnType('bundle_override')).toBe(true);
  });

  it.each([
    ['', /has 1 ':'-separated fields, not 5/],
    [`prn:1:${ORG}`, /has 3 ':'-separated fields/],
    [`prn:1:${ORG}:binary:${BIN}:extra`, /has 6 .*truncatePrn/],
    [`urn:1:${ORG}:binary:${BIN}`, /field 1 is "urn", not "prn"/],
    [`prn:2:${ORG}:binary:${BIN}`, /field 2 is "2", not "1"/],
    [`prn:1:not-a-uuid:binary:${BIN}`, /organization "not-a-uuid" is not a UUID/],
    [`prn:1:${ORG}:Binary:${BIN}`, /type "Binary" is not a lowercase name/],
    [`prn:1:${ORG}:binary:1234`, /resource id "1234" is not a UUID/],
  ])('rejects %j with VFLEET_PRN_INVALID naming the input', (text, why) => {
    const err = errorOf(() => parsePrn(text, 'manifest[0].binary_prn'));
    expect(err.code).toBe('VFLEET_PRN_INVALID');
    expect(err.message).toContain(`manifest[0].binary_prn: invalid PRN ${JSON.stringify(text)}`);
    expect(err.message).toMatch(why);
  });

  it('checks the expected type when asked', () => {
    const err = errorOf(() => parsePrn(`prn:1:${ORG}:release:${BIN}`, 'x', 'binary'));
    expect(err.message).toMatch(/type is "release", expected "binary"/);
  });
});

describe('prnUuid / truncatePrn', () => {
  it('takes the fifth field, ignoring extra fields like peridiod', () => {
    expect(prnUuid(`prn:1:${ORG}:binary:${BIN}`)).toBe(BIN);
    expect(prnUuid(`prn:1:${ORG}:binary:${BIN}:v2`)).toBe(BIN);
  });

  it('cuts to five fields and leaves shorter strings alone', () => {
    expect(truncatePrn(`prn:1:${ORG}:binary:${BIN}:a:b`)).toBe(`prn:1:${ORG}:binary:${BIN}`);
    expect(truncatePrn('prn:1:x')).toBe('prn:1:x');
  });
});

describe('makePrn', () => {
  it('uses the given uuid', () => {
    expect(makePrn(ORG, 'release', BIN)).toBe(`prn:1:${ORG}:release:${BIN}`);
  });

  it('generates distinct v4 uuids when none is given', () => {
    const a = parsePrn(makePrn(ORG, 'tunnel'));
    const b = parsePrn(makePrn(ORG, 'tunnel'));
    expect(a.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.uuid).not.toBe(b.uuid);
  });

  it('rejects a bad organization id', () => {
    expect(errorOf(() => makePrn('acme', 'device')).code).toBe('VFLEET_PRN_INVALID');
  });
});
