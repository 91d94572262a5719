import { describe, expect, it } from 'vitest';
import { parseSize } from './parse-size.js';

describe('parseSize', () => {
  it.each([
    ['256M', 256 * 2 ** 20],
    ['1G', 2 ** 30],
    ['64MiB', 64 * 2 ** 20],
    ['512k', 512 * 1024],
    ['2TiB', 2 * 2 ** 40],
    ['268435456', 268435456],
    [' 16 M ', 16 * 2 ** 20],
  ])('%s is %d bytes', (text, bytes) => {
    expect(parseSize(text, '--disk-size')).toBe(bytes);
  });

  it.each(['', 'M', '1.5G', '-1M', '256MB', '10X', '1G junk', '99999999999T'])('rejects %j naming the flag', (text) => {
    expect(() => parseSize(text, '--disk-size')).toThrow(
      `--disk-size: ${JSON.stringify(text)} is not a size; use bytes or a whole number with K, M, G or T`,
    );
  });
});
