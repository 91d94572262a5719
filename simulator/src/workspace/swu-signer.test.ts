import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initWorkspace } from './init.js';
import { ensureSwuSigner, swuSignerPaths } from './swu-signer.js';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'vfleet-swu-signer-'));
  initWorkspace({ home });
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('ensureSwuSigner', () => {
  it('refuses a dangling link where the signer key goes, instead of handing out a signer without key or certificate', async () => {
    const { keyPath, certPath } = swuSignerPaths(home);
    mkdirSync(dirname(keyPath), { recursive: true });
    symlinkSync(join(home, 'nowhere.pem'), keyPath);
    await expect(ensureSwuSigner(home)).rejects.toThrow(`${keyPath}: a symbolic link is where this file goes; move it away and run again`);
    expect(existsSync(certPath)).toBe(false);
    expect(existsSync(join(home, 'nowhere.pem'))).toBe(false);
    rmSync(keyPath);
    const signer = await ensureSwuSigner(home);
    expect(readFileSync(signer.certPath, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });
});
