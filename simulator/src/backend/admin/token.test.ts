import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateAdminToken, loadOrCreateAdminToken } from './token.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vfleet-token-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('admin token', () => {
  it('is 43 base64url characters and different every time', () => {
    const a = generateAdminToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generateAdminToken()).not.toBe(a);
  });

  it('is created once with mode 0600 and read back afterwards', () => {
    const file = join(dir, 'sub', 'admin-token');
    const token = loadOrCreateAdminToken(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe(`${token}\n`);
    expect(loadOrCreateAdminToken(file)).toBe(token);
  });

  it('narrows a token file readable by others back to 0600', () => {
    const file = join(dir, 'admin-token');
    const token = loadOrCreateAdminToken(file);
    chmodSync(file, 0o644);
    expect(loadOrCreateAdminToken(file)).toBe(token);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses a FIFO, a folder or a huge file in its place at once, naming what is there', () => {
    const fifo = join(dir, 'fifo-token');
    execFileSync('mkfifo', [fifo]);
    expect(() => loadOrCreateAdminToken(fifo)).toThrow(`${fifo}: is a FIFO, not a file; delete it to make a new admin token`);
    const folder = join(dir, 'folder-token');
    mkdirSync(folder);
    expect(() => loadOrCreateAdminToken(folder)).toThrow(/folder-token: is a directory, not a file/);
    const huge = join(dir, 'huge-token');
    writeFileSync(huge, '');
    truncateSync(huge, 2 ** 40);
    expect(() => loadOrCreateAdminToken(huge)).toThrow(/huge-token: is more than 4096 bytes; delete it/);
  });

  it('refuses a file that holds no token without echoing its content', () => {
    const file = join(dir, 'admin-token');
    writeFileSync(file, 'short secret\n', { mode: 0o600 });
    let message = '';
    try {
      loadOrCreateAdminToken(file);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('does not hold an admin token');
    expect(message).not.toContain('short secret');
  });
});
