import { createCipheriv, createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The bytes the floor writes: a keystream, so neither the disk nor the hash sees zeros. */
export function floorBytes(size: number): Buffer {
  return createCipheriv('aes-256-ctr', createHash('sha256').update('vfleet-load-floor').digest(), Buffer.alloc(16)).update(Buffer.alloc(size));
}

/** Hashes (SHA-256) and writes `size` bytes to a new file for devices from, from+step, … < n. */
export function hashWrite(dir: string, from: number, step: number, n: number, size: number): void {
  const content = floorBytes(size);
  const chunk = 256 * 1024;
  for (let i = from; i < n; i += step) {
    const hash = createHash('sha256');
    const fd = openSync(join(dir, `device-${i}`), 'wx');
    try {
      for (let at = 0; at < size; at += chunk) {
        const part = content.subarray(at, at + chunk);
        hash.update(part);
        writeSync(fd, part);
      }
    } finally {
      closeSync(fd);
    }
    hash.digest();
  }
}
