import { createCipheriv, createHash, type Cipher } from 'node:crypto';

const BLOCK = 16;

/**
 * The deterministic bytes after an OS image's boot header: the AES-128-CTR keystream whose key is
 * the first 16 bytes of SHA-256(header) and whose initial counter block is zero. Keyed by the
 * header so that images with different metadata differ everywhere; a stream cipher so that any
 * range can be produced without the bytes before it.
 */
export function fillerKey(header: Uint8Array): Buffer {
  return createHash('sha256').update(header).digest().subarray(0, BLOCK);
}

/** A keystream positioned at filler offset `position`; each `update(zeros)` yields the next bytes. */
export function fillerCipher(key: Buffer, position: number): Cipher {
  const counter = Buffer.alloc(BLOCK);
  counter.writeBigUInt64BE(BigInt(Math.floor(position / BLOCK)), BLOCK - 8);
  const cipher = createCipheriv('aes-128-ctr', key, counter);
  const skip = position % BLOCK;
  if (skip > 0) cipher.update(Buffer.alloc(skip));
  return cipher;
}
