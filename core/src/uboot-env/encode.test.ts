import { describe, it, expect } from 'vitest';
import { VfleetError } from '../errors.js';
import { crc32 } from './crc32.js';
import { encodeUbootEnv } from './encode.js';

function expectEnvError(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VfleetError);
    expect((e as VfleetError).code).toBe('VFLEET_ENV_INVALID');
    expect((e as VfleetError).message).toMatch(pattern);
    return;
  }
  expect.unreachable('expected a VFLEET_ENV_INVALID rejection');
}

describe('encodeUbootEnv', () => {
  it('lays out a non-redundant block: CRC LE, entries, terminator, 0xff padding', () => {
    const block = encodeUbootEnv(new Map([['a', '1'], ['bb', '']]), { size: 16 });
    expect(block.length).toBe(16);
    expect(block.readUInt32LE(0)).toBe(crc32(block.subarray(4)));
    expect(block.subarray(4, 13).toString('latin1')).toBe('a=1\0bb=\0\0');
    expect([...block.subarray(13)]).toEqual([0xff, 0xff, 0xff]);
  });

  it('puts the flag at offset 4 of a redundant block and covers bytes 5.. with the CRC', () => {
    const block = encodeUbootEnv({ k: 'v' }, { size: 12, redundant: true, flag: 7, pad: 0 });
    expect(block[4]).toBe(7);
    expect(block.subarray(5).toString('latin1')).toBe('k=v\0\0\0\0');
    expect(block.readUInt32LE(0)).toBe(crc32(block.subarray(5)));
  });

  it('defaults the redundant flag to 1, as mkenvimage -r', () => {
    expect(encodeUbootEnv({}, { size: 8, redundant: true })[4]).toBe(1);
  });

  it('keeps insertion order and writes UTF-8', () => {
    const block = encodeUbootEnv(new Map([['z', 'ü'], ['a', 'x=y']]), { size: 32, pad: 0 });
    expect(block.subarray(4, 17).toString('utf8')).toBe('z=ü\0a=x=y\0\0\0');
  });

  it('fills the block exactly when entries and terminator take every byte', () => {
    const block = encodeUbootEnv({ abcdefghi: 'x' }, { size: 17 });
    expect(block.length).toBe(17);
    expect(block.subarray(4).toString('latin1')).toBe('abcdefghi=x\0\0');
  });

  it('encodes an empty env as two NULs', () => {
    const block = encodeUbootEnv({}, { size: 6 });
    expect([...block.subarray(4)]).toEqual([0, 0xff]);
  });

  it('rejects bad names and values, naming the variable', () => {
    expectEnvError(() => encodeUbootEnv({ '': 'v' }, { size: 64 }), /empty variable name/);
    expectEnvError(() => encodeUbootEnv({ 'a=b': 'v' }, { size: 64 }), /"a=b": name contains "="/);
    expectEnvError(() => encodeUbootEnv({ 'a\0b': 'v' }, { size: 64 }), /"a\\u0000b": name contains NUL/);
    expectEnvError(() => encodeUbootEnv({ key: 'v\0w' }, { size: 64 }), /"key": value contains NUL/);
  });

  it('rejects an env larger than its size, saying by how many bytes', () => {
    expectEnvError(() => encodeUbootEnv({ abcdefghi: 'x' }, { size: 16 }), /need 17 bytes .* size is 16 .*: 1 byte too many/);
    expectEnvError(
      () => encodeUbootEnv({ k: 'v'.repeat(0x20000) }, { size: 0x20000, redundant: true }),
      /size is 131072 \(0x20000\): 9 bytes too many/,
    );
  });

  it('rejects a size below header + 2 and a non-integer size', () => {
    expectEnvError(() => encodeUbootEnv({}, { size: 5 }), /size 5 is too small: a non-redundant env needs .* at least 6/);
    expectEnvError(() => encodeUbootEnv({}, { size: 6, redundant: true }), /size 6 is too small: a redundant env needs .* at least 7/);
    expectEnvError(() => encodeUbootEnv({}, { size: 100.5 }), /size 100.5 is too small/);
  });

  it('rejects a flag out of range or on a non-redundant env', () => {
    expectEnvError(() => encodeUbootEnv({}, { size: 64, redundant: true, flag: 256 }), /flag 256 is out of range; expected an integer 0..255/);
    expectEnvError(() => encodeUbootEnv({}, { size: 64, redundant: true, flag: -1 }), /flag -1 is out of range/);
    expectEnvError(() => encodeUbootEnv({}, { size: 64, flag: 1 }), /flag 1 given for a non-redundant env/);
  });

  it('rejects a pad byte other than 0x00 or 0xff', () => {
    expectEnvError(() => encodeUbootEnv({}, { size: 64, pad: 0x55 as 0xff }), /pad byte 85 is not supported; expected 0x00 or 0xff/);
  });
});
