import { describe, it, expect } from 'vitest';
import { crc32, crc32Combine, hex32 } from './crc32.js';
import { seededRandom } from '../random/seeded.js';

describe('crc32', () => {
  it('matches the IEEE/zlib check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('continues from a previous value like a single pass', () => {
    const all = Buffer.from('hello, world');
    expect(crc32(all.subarray(5), crc32(all.subarray(0, 5)))).toBe(crc32(all));
  });

  it('returns an unsigned value and formats it as 8 hex digits', () => {
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(hex32(0xdeadbeef)).toBe('0xdeadbeef');
    expect(hex32(0x1f)).toBe('0x0000001f');
  });

  it('combines two CRCs into the CRC of the concatenation', () => {
    const rand = seededRandom(99);
    const data = Buffer.from(Array.from({ length: 5000 }, () => Math.floor(rand() * 256)));
    for (const split of [0, 1, 7, 8, 255, 4096, 4999, 5000]) {
      const a = data.subarray(0, split);
      const b = data.subarray(split);
      expect(crc32Combine(crc32(a), crc32(b), b.length)).toBe(crc32(data));
    }
  });

  it('combines across a 128 KiB run of padding and lengths with high bits set', () => {
    const head = Buffer.from('k=v\0\0');
    for (const length of [0x20000 - 9, 0x1_0000_0001 % 0x100000, 3 << 20]) {
      const pad = Buffer.alloc(length, 0xff);
      expect(crc32Combine(crc32(head), crc32(pad), length)).toBe(crc32(Buffer.concat([head, pad])));
    }
  });
});
