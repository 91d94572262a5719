import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';

/** `size` pseudo-random bytes fixed by `seed` (AES-256-CTR keystream), streamed in 256 KiB chunks. */
export function deterministicContent(seed: string, size: number): Readable {
  const cipher = createCipheriv('aes-256-ctr', createHash('sha256').update(seed).digest(), Buffer.alloc(16));
  const zeros = Buffer.alloc(256 * 1024);
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= size) {
        this.push(null);
        return;
      }
      const n = Math.min(zeros.length, size - offset);
      offset += n;
      this.push(cipher.update(zeros.subarray(0, n)));
    },
  });
}
