import { createCipheriv, createHash } from 'node:crypto';

/** `size` pseudo-random bytes fixed by `seed` (AES-256-CTR keystream). */
export function deterministicBytes(seed, size) {
  const cipher = createCipheriv('aes-256-ctr', createHash('sha256').update(seed).digest(), Buffer.alloc(16));
  return cipher.update(Buffer.alloc(size));
}
