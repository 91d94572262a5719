import { renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { VfleetError } from '@vfleet/core';
import { readRegularFile } from '@vfleet/core/fs/read-regular-file';
import { writeOnce } from '../../workspace/write-once.js';

/** The HMAC key for binary URLs: 32 random bytes, stored as 64 hex digits. */
export const URL_SECRET_BYTES = 32;
const MAX_SECRET_FILE_BYTES = 4096; // vfleet writes 64 hex digits

/**
 * Reads the binary-URL signing secret from `file`, creating it when absent. An empty file (what a
 * first write cut short leaves) is replaced by a new secret: it never signed anything safely. Any
 * other content that is not at least URL_SECRET_BYTES of hex is refused: a short or non-hex key
 * (Buffer.from('zz', 'hex') is empty) would let anyone forge binary URLs.
 */
export function loadOrCreateUrlSecret(file: string): Buffer {
  const fresh = () => randomBytes(URL_SECRET_BYTES).toString('hex');
  let text: string;
  try {
    writeOnce(file, fresh());
    text = readSecretFile(file);
    if (text === '') {
      writeFileSync(`${file}.tmp`, fresh(), { mode: 0o600, flush: true });
      renameSync(`${file}.tmp`, file);
      text = readSecretFile(file);
    }
  } catch (e) {
    if (e instanceof VfleetError) throw e;
    throw new VfleetError('VFLEET_WORKSPACE', `${file}: cannot read the binary URL secret (${(e as Error).message}); remove it to make a new one`, { cause: e });
  }
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(text) || text.length < 2 * URL_SECRET_BYTES) {
    throw new VfleetError(
      'VFLEET_WORKSPACE',
      `${file}: does not hold a binary URL secret (at least ${2 * URL_SECRET_BYTES} hex digits); remove it to make a new one (binary URLs handed out before stop working)`,
    );
  }
  return Buffer.from(text, 'hex');
}

/** The file's trimmed text; a FIFO, a directory or an oversized file is refused without blocking on it. */
function readSecretFile(file: string): string {
  const r = readRegularFile(file, MAX_SECRET_FILE_BYTES);
  if (r.status === 'ok') return r.bytes.toString('utf8').trim();
  if (r.status === 'missing' || r.status === 'failed') throw r.error;
  if (r.status === 'not-regular') throw new VfleetError('VFLEET_WORKSPACE', `${file}: is not a regular file; remove it to make a new binary URL secret`);
  throw new VfleetError('VFLEET_WORKSPACE', `${file}: is more than ${MAX_SECRET_FILE_BYTES} bytes, too big for a binary URL secret (${2 * URL_SECRET_BYTES} hex digits); remove it to make a new one (binary URLs handed out before stop working)`);
}
