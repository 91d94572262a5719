import { describe, it, expect } from 'vitest';
import { VfleetError } from '../errors.js';
import { crc32 } from './crc32.js';
import { decodeUbootEnv } from './decode.js';
import { encodeUbootEnv } from './encode.js';
import { randomVars } from './random-vars.js';

/** A block with the given data bytes after the header and a correct CRC. */
function blockWith(data: string, size: number, redundant = false): Buffer {
  const header = redundant ? 5 : 4;
  const block = Buffer.alloc(size, 0xff);
  block.write(data, header, 'latin1');
  if (redundant) block[4] = 3;
  block.writeUInt32LE(crc32(block.subarray(header)), 0);
  return block;
}

function decodeError(bytes: Uint8Array, opts: Parameters<typeof decodeUbootEnv>[1] = {}): VfleetError {
  try {
    decodeUbootEnv(bytes, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(VfleetError);
    expect((e as VfleetError).code).toBe('VFLEET_ENV_INVALID');
    return e as VfleetError;
  }
  return expect.unreachable('expected a VFLEET_ENV_INVALID rejection');
}

describe('decodeUbootEnv', () => {
  it('reads entries in stored order, splitting on the first "="', () => {
    const { vars, flag } = decodeUbootEnv(blockWith('b=1\0a=x=y\0e=\0\0', 32));
    expect([...vars]).toEqual([['b', '1'], ['a', 'x=y'], ['e', '']]);
    expect(flag).toBeUndefined();
  });

  it('returns the flag byte of a redundant copy', () => {
    const decoded = decodeUbootEnv(blockWith('k=v\0\0', 16, true), { redundant: true });
    expect(decoded).toEqual({ vars: new Map([['k', 'v']]), flag: 3 });
  });

  it('keeps the last value of a repeated name', () => {
    expect(decodeUbootEnv(blockWith('k=1\0k=2\0\0', 16)).vars.get('k')).toBe('2');
  });

  it('reads an empty env and a block filled to the last byte', () => {
    expect(decodeUbootEnv(blockWith('\0\0', 6)).vars.size).toBe(0);
    expect([...decodeUbootEnv(blockWith('abcdefghi=x\0\0', 17)).vars]).toEqual([['abcdefghi', 'x']]);
  });

  it.each([
    { pad: 0xff as const, redundant: false },
    { pad: 0x00 as const, redundant: false },
    { pad: 0xff as const, redundant: true },
    { pad: 0x00 as const, redundant: true },
  ])('round-trips random variables (pad $pad, redundant $redundant)', ({ pad, redundant }) => {
    for (let seed = 1; seed <= 20; seed++) {
      const vars = randomVars(seed * 7919, seed * 10);
      const block = encodeUbootEnv(vars, { size: 0x20000, pad, redundant, ...(redundant ? { flag: seed } : {}) });
      const decoded = decodeUbootEnv(block, { redundant });
      expect([...decoded.vars]).toEqual([...vars]);
      expect(decoded.flag).toBe(redundant ? seed : undefined);
    }
  });

  it('rejects a truncated block, naming the source', () => {
    const e = decodeError(Buffer.alloc(5), { source: 'dev/uboot.env' });
    expect(e.message).toBe('dev/uboot.env: truncated: 5 bytes, a non-redundant env block needs at least 6');
    expect(decodeError(Buffer.alloc(6), { redundant: true }).message).toMatch(/^uboot\.env: truncated: 6 bytes, a redundant .* at least 7$/);
  });

  it('rejects a CRC mismatch with both values in hex', () => {
    const block = blockWith('k=v\0\0', 16);
    const computed = block.readUInt32LE(0);
    block.writeUInt32LE(0x1234abcd, 0);
    const e = decodeError(block, { source: 'a.env' });
    expect(e.message).toBe(`a.env: CRC mismatch: stored 0x1234abcd, computed 0x${computed.toString(16).padStart(8, '0')} over bytes 4..15`);
  });

  it('rejects a CRC computed over the wrong range (non-redundant bytes read as redundant)', () => {
    expect(decodeError(blockWith('k=v\0\0', 16), { redundant: true }).message).toMatch(/CRC mismatch: stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8} over bytes 5..15/);
  });

  it('rejects an entry that runs to the end without a NUL', () => {
    const block = Buffer.from('....k=vvvvv', 'latin1');
    block.writeUInt32LE(crc32(block.subarray(4)), 0);
    expect(decodeError(block).message).toBe('uboot.env: missing terminator: entry at byte offset 4 runs to the end of the block without a NUL');
  });

  it('rejects a last entry not followed by the empty terminating entry', () => {
    const block = Buffer.from('....k=v\0', 'latin1');
    block.writeUInt32LE(crc32(block.subarray(4)), 0);
    expect(decodeError(block).message).toMatch(/missing terminator: no empty entry .* ends at byte offset 7$/);
  });

  it('rejects an entry without "=" with its byte offset', () => {
    expect(decodeError(blockWith('a=1\0junk\0\0', 16), { source: 's' }).message).toBe('s: entry without "=" at byte offset 8: "junk"');
  });

  it('rejects an entry whose "=" comes only in a later entry', () => {
    expect(decodeError(blockWith('nokey\0a=1\0\0', 16)).message).toMatch(/entry without "=" at byte offset 4/);
  });

  it('rejects an entry with an empty name', () => {
    expect(decodeError(blockWith('=v\0\0', 16)).message).toBe('uboot.env: entry with an empty name at byte offset 4');
  });

  it('accepts a Uint8Array view into a larger buffer', () => {
    const big = Buffer.concat([Buffer.alloc(3, 9), encodeUbootEnv({ a: 'b' }, { size: 16 })]);
    const view = new Uint8Array(big.buffer, big.byteOffset + 3, 16);
    expect(decodeUbootEnv(view).vars.get('a')).toBe('b');
  });
});
