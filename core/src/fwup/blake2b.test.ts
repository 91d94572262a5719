import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Blake2b, blake2b, blake2b256Hex } from './blake2b.js';
import { BLOCKS_OFFSET, createCompressFunction, H_OFFSET, IV } from './blake2b-wasm.js';
import { parseMetaConf } from './meta-conf.js';
import { readVector } from './test-vectors.js';
import { listZipEntries, readZipEntry } from './zip-read.js';

describe('BLAKE2b (RFC 7693)', () => {
  it('matches the RFC 7693 Appendix A vector for BLAKE2b-512("abc")', () => {
    expect(blake2b(Buffer.from('abc')).toString('hex')).toBe(
      'ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1' +
        '7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923',
    );
  });

  it('matches the published BLAKE2b-256 digests of "" and "abc"', () => {
    expect(blake2b256Hex(Buffer.alloc(0))).toBe('0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8');
    expect(blake2b256Hex(Buffer.from('abc'))).toBe('bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319');
  });

  it('equals OpenSSL blake2b512 for every length across block boundaries', () => {
    for (let n = 0; n <= 520; n++) {
      const data = randomBytes(n);
      expect(blake2b(data).equals(createHash('blake2b512').update(data).digest()), `length ${n}`).toBe(true);
    }
  });

  it('gives the same digest however the input is split (incremental updates, > 64 KiB batches)', () => {
    const data = randomBytes(200_000);
    const whole = blake2b(data, 32);
    const parts = new Blake2b(32);
    for (let at = 0; at < data.length; ) {
      const step = [1, 127, 128, 129, 70_000][at % 5] as number;
      parts.update(data.subarray(at, at + step));
      at += step;
    }
    expect(parts.digest().equals(whole)).toBe(true);
    expect(blake2b(data).equals(createHash('blake2b512').update(data).digest())).toBe(true);
  });

  it("reproduces the blake2b-256 fwup 1.16 recorded for the vector's rootfs.img", () => {
    const fw = readVector('ab-upgrade.fw');
    const metaEntry = listZipEntries(fw, 'ab-upgrade.fw').find((e) => e.name === 'meta.conf');
    const meta = parseMetaConf(readZipEntry(fw, metaEntry!, 'ab-upgrade.fw').toString());
    expect(meta.resources[0]?.blake2b256).toBe('6adc29aacbad61de50c9380c42e0bde909eddc6e6d7bbe4c381cacce9844eebe');
    expect(blake2b256Hex(readVector('rootfs.img'))).toBe(meta.resources[0]?.blake2b256);
  });

  it('rejects digest lengths outside 1..64 and use after digest', () => {
    expect(() => new Blake2b(0)).toThrow(/1\.\.64/);
    expect(() => new Blake2b(65)).toThrow(/1\.\.64/);
    const h = new Blake2b(32);
    h.digest();
    expect(() => h.update(Buffer.from('x'))).toThrow(/after digest/);
  });

  it.each(['simd', 'scalar'] as const)('the %s compression module alone gives OpenSSL blake2b512 over many blocks and a final one', (form) => {
    const { memory, compress } = createCompressFunction(form);
    const data = randomBytes(128 * 1000 + 77);
    IV.forEach((word, i) => Buffer.from(memory.buffer, memory.byteOffset).writeBigUInt64LE(word, H_OFFSET + i * 8));
    const h0 = Buffer.from(memory.buffer, memory.byteOffset + H_OFFSET, 4);
    h0.writeUInt32LE((h0.readUInt32LE(0) ^ 0x01010040) >>> 0, 0);
    const whole = Math.floor(data.length / 128);
    memory.set(data.subarray(0, whole * 128), BLOCKS_OFFSET);
    compress(BLOCKS_OFFSET, whole, 128, 0, 0);
    memory.fill(0, BLOCKS_OFFSET, BLOCKS_OFFSET + 128);
    memory.set(data.subarray(whole * 128), BLOCKS_OFFSET);
    compress(BLOCKS_OFFSET, 1, data.length, 0, 1);
    expect(Buffer.from(memory.subarray(H_OFFSET, H_OFFSET + 64)).equals(createHash('blake2b512').update(data).digest())).toBe(true);
  });
});
