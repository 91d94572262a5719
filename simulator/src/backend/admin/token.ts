import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { readRegularFile } from '@vfleet/core/fs/read-regular-file';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { VfleetError } from '@vfleet/core';

const TOKEN = /^[A-Za-z0-9_-]{32,256}$/;

/** 32 random bytes, base64url: 43 characters safe in a header and a shell. */
export function generateAdminToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Reads the admin token from `file`, creating it (mode 0600, exclusive create) when absent. A file
 * readable by others is narrowed back to 0600. The token never appears in an error message.
 */
/** More than any token this file may hold (256 characters and a newline). */
const MAX_TOKEN_FILE_BYTES = 4096;

export function loadOrCreateAdminToken(file: string): string {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const token = generateAdminToken();
  let fd: number | undefined;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new VfleetError('VFLEET_WORKSPACE', `${file}: cannot create the admin token file (${(e as Error).message})`, { cause: e });
    }
  }
  if (fd !== undefined) {
    try {
      writeSync(fd, `${token}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return token;
  }
  // never blocks on a FIFO or reads a huge file put in the token's place
  const read = readRegularFile(file, MAX_TOKEN_FILE_BYTES);
  if (read.status !== 'ok') {
    const why = read.status === 'not-regular' ? `is a ${read.kind}, not a file` : read.status === 'too-big' ? `is more than ${MAX_TOKEN_FILE_BYTES} bytes` : `cannot be read (${read.error.message})`;
    throw new VfleetError('VFLEET_WORKSPACE', `${file}: ${why}; delete it to make a new admin token`);
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  const stored = read.bytes.toString('utf8').trim();
  if (!TOKEN.test(stored)) {
    throw new VfleetError('VFLEET_WORKSPACE', `${file}: does not hold an admin token (32–256 characters of A–Z a–z 0–9 _ -); delete it to make a new one`);
  }
  return stored;
}
