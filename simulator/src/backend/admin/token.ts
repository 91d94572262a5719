import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
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
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  const stored = readFileSync(file, 'utf8').trim();
  if (!TOKEN.test(stored)) {
    throw new VfleetError('VFLEET_WORKSPACE', `${file}: does not hold an admin token (32–256 characters of A–Z a–z 0–9 _ -); delete it to make a new one`);
  }
  return stored;
}
