import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateUrlSecret } from './url-secret.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vfleet-url-secret-'));
  file = join(dir, 'backend-url-secret');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('loadOrCreateUrlSecret', () => {
  it('makes 32 random bytes once, stored as hex, and reads them back', () => {
    const a = loadOrCreateUrlSecret(file);
    expect(a).toHaveLength(32);
    expect(readFileSync(file, 'utf8')).toBe(a.toString('hex'));
    expect(loadOrCreateUrlSecret(file).equals(a)).toBe(true);
  });

  it('replaces an empty or blank file with a new secret', () => {
    for (const blank of ['', '\n  \n']) {
      writeFileSync(file, blank);
      expect(loadOrCreateUrlSecret(file)).toHaveLength(32);
      expect(readFileSync(file, 'utf8')).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it.each([
    ['not hex', 'zzzz'],
    ['hex with a stray character', `${'ab'.repeat(32)}g`],
    ['an odd number of hex digits', 'a'.repeat(65)],
    ['hex of fewer than 32 bytes', 'ab'.repeat(31)],
  ])('refuses %s in one line naming the file, and leaves it alone', (_what, text) => {
    writeFileSync(file, `${text}\n`);
    expect(() => loadOrCreateUrlSecret(file)).toThrow(new RegExp(`^${dir}/backend-url-secret: does not hold a binary URL secret \\(at least 64 hex digits\\); remove it to make a new one`));
    expect(readFileSync(file, 'utf8')).toBe(`${text}\n`);
  });

  it('refuses a file bigger than any secret instead of reading all of it, and leaves it alone', () => {
    const huge = 'ab'.repeat(512 * 1024);
    writeFileSync(file, huge);
    expect(() => loadOrCreateUrlSecret(file)).toThrow(`${file}: is more than 4096 bytes, too big for a binary URL secret (64 hex digits); remove it to make a new one`);
    expect(readFileSync(file, 'utf8')).toBe(huge);
  });

  it('refuses a directory and a FIFO without blocking on them', () => {
    mkdirSync(file);
    expect(() => loadOrCreateUrlSecret(file)).toThrow(/backend-url-secret: is not a regular file/);
    rmSync(file, { recursive: true });
    execFileSync('mkfifo', [file]);
    expect(() => loadOrCreateUrlSecret(file)).toThrow(/backend-url-secret: is not a regular file/);
  });
});
