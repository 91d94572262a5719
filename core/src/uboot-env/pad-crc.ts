import { crc32 } from './crc32.js';

// Blocks of one size share their padding lengths, so a small memo skips re-hashing ~128 KiB of padding.
const MAX_ENTRIES = 512;
const memo = new Map<number, number>();

/** crc32 of `length` copies of `pad`, memoised. */
export function padCrc(pad: number, length: number): number {
  const key = length * 256 + pad;
  let crc = memo.get(key);
  if (crc === undefined) {
    crc = crc32(Buffer.alloc(length, pad));
    if (memo.size >= MAX_ENTRIES) memo.clear();
    memo.set(key, crc);
  }
  return crc;
}
