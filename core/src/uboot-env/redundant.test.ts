import { describe, it, expect } from 'vitest';
import { VfleetError } from '../errors.js';
import { encodeUbootEnv } from './encode.js';
import { isFlagNewerOrEqual, nextWrite, selectEnvCopy } from './redundant.js';

const SIZE = 64;
const copy = (v: string, flag: number): Buffer => encodeUbootEnv({ v }, { size: SIZE, redundant: true, flag });
function corrupt(block: Buffer): Buffer {
  const bad = Buffer.from(block);
  bad[10] = (bad[10] as number) ^ 0x01;
  return bad;
}

describe('isFlagNewerOrEqual', () => {
  it('compares flags modulo 256', () => {
    expect(isFlagNewerOrEqual(2, 1)).toBe(true);
    expect(isFlagNewerOrEqual(1, 2)).toBe(false);
    expect(isFlagNewerOrEqual(0, 255)).toBe(true);
    expect(isFlagNewerOrEqual(255, 0)).toBe(false);
    expect(isFlagNewerOrEqual(5, 5)).toBe(true);
    expect(isFlagNewerOrEqual(127, 0)).toBe(true);
    expect(isFlagNewerOrEqual(128, 0)).toBe(false);
  });
});

describe('selectEnvCopy', () => {
  it('takes the copy with the newer flag', () => {
    expect(selectEnvCopy(copy('old', 4), copy('new', 5))).toEqual({ index: 1, vars: new Map([['v', 'new']]), flag: 5 });
    expect(selectEnvCopy(copy('new', 9), copy('old', 8))).toMatchObject({ index: 0, flag: 9 });
  });

  it('treats 0 as newer than 255 (wrap-around)', () => {
    expect(selectEnvCopy(copy('old', 255), copy('new', 0))).toMatchObject({ index: 1, flag: 0, vars: new Map([['v', 'new']]) });
    expect(selectEnvCopy(copy('new', 0), copy('old', 255))).toMatchObject({ index: 0, flag: 0 });
  });

  it('takes copy 0 when the flags are equal', () => {
    expect(selectEnvCopy(copy('zero', 3), copy('one', 3))).toMatchObject({ index: 0, vars: new Map([['v', 'zero']]) });
  });

  it('takes the only CRC-valid copy even when its flag is older', () => {
    expect(selectEnvCopy(copy('valid', 1), corrupt(copy('newer', 2)))).toMatchObject({ index: 0, flag: 1 });
    expect(selectEnvCopy(corrupt(copy('newer', 2)), copy('valid', 1))).toMatchObject({ index: 1, flag: 1 });
  });

  it('fails naming both reasons when neither copy is valid', () => {
    let error: unknown;
    try {
      selectEnvCopy(corrupt(copy('a', 1)), Buffer.alloc(3), 'pair');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(VfleetError);
    expect((error as VfleetError).code).toBe('VFLEET_ENV_INVALID');
    expect((error as VfleetError).message).toMatch(
      /^pair: neither redundant copy is valid \(pair copy 0: CRC mismatch: stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8} over bytes 5..63; pair copy 1: truncated: 3 bytes/,
    );
    expect(((error as VfleetError).cause as AggregateError).errors).toHaveLength(2);
  });
});

describe('nextWrite', () => {
  it('targets the other copy with flag + 1, wrapping 255 to 0', () => {
    expect(nextWrite({ index: 0, flag: 7 })).toEqual({ index: 1, flag: 8 });
    expect(nextWrite({ index: 1, flag: 255 })).toEqual({ index: 0, flag: 0 });
  });

  it('keeps the latest write selected across 600 generations', () => {
    const copies: [Buffer, Buffer] = [copy('gen0', 1), copy('init', 0)];
    for (let gen = 1; gen <= 600; gen++) {
      const target = nextWrite(selectEnvCopy(...copies));
      copies[target.index] = copy(`gen${gen}`, target.flag);
      const now = selectEnvCopy(...copies);
      expect(now.vars.get('v')).toBe(`gen${gen}`);
      expect(now.flag).toBe((gen + 1) & 0xff);
    }
  });
});
