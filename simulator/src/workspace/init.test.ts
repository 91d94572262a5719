import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initWorkspace } from './init.js';
import { workspacePaths } from './home.js';
import { readWorkspace } from './load.js';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'vfleet-ws-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('initWorkspace', () => {
  it('creates root CA, four cohort intermediates and four signing keys', () => {
    const { manifest, created } = initWorkspace({ home });
    const p = workspacePaths(home);
    expect(manifest.product).toBe('edge-inference');
    // root (2) + 4 cohorts × (CA 2 + signing 2) + manifest
    expect(created).toHaveLength(2 + 4 * 4 + 1);
    expect(readFileSync(p.intermediateCert('edge-inference', 'daily-debug'), 'utf8')).toContain('BEGIN CERTIFICATE');
    expect(statSync(p.rootKey).mode & 0o777).toBe(0o600);
    expect(statSync(p.signingPrivateKey('release')).mode & 0o777).toBe(0o600);
    expect(readWorkspace(home).organizationUuid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('is idempotent and never overwrites a key', () => {
    initWorkspace({ home });
    const p = workspacePaths(home);
    const before = readFileSync(p.intermediateKey('edge-inference', 'release'), 'utf8');
    const again = initWorkspace({ home });
    expect(again.created).toEqual([]);
    expect(readFileSync(p.intermediateKey('edge-inference', 'release'), 'utf8')).toBe(before);
  });

  it('fills in a missing cohort but refuses a half-present CA', () => {
    initWorkspace({ home });
    const p = workspacePaths(home);
    rmSync(join(p.pki, 'ca', 'edge-inference', 'daily-release'), { recursive: true });
    rmSync(p.signingPublicKey('daily-release'));
    rmSync(p.signingPrivateKey('daily-release'));
    expect(initWorkspace({ home }).created).toHaveLength(4);
    unlinkSync(p.intermediateKey('edge-inference', 'release'));
    expect(() => initWorkspace({ home })).toThrow(/cohort release is half there/);
  });

  it('rejects a workspace made for another product', () => {
    initWorkspace({ home });
    expect(() => initWorkspace({ home, product: 'other' })).toThrow(/workspace is for product edge-inference, not other/);
  });

  it('names the file when workspace.json is missing or broken', () => {
    expect(() => readWorkspace(home)).toThrow(/no workspace here \(run `vfleet init`\)/);
    initWorkspace({ home });
    const file = workspacePaths(home).manifest;
    for (const text of ['null', '[]', '"x"']) {
      writeFileSync(file, text);
      expect(() => readWorkspace(home)).toThrow(`${file}: expected a JSON object`);
    }
  });

  it.skipIf(process.getuid?.() !== 0)('leaves no truncated key or certificate when the disk fills, and completes once there is room', () => {
    const mount = join(home, 'small');
    mkdirSync(mount);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mount]);
    try {
      const ws = join(mount, 'ws');
      // a few KiB left: some files fit, one does not
      execFileSync('dd', ['if=/dev/zero', `of=${join(mount, 'filler')}`, 'bs=1k', 'count=236'], { stdio: 'ignore' });
      expect(() => initWorkspace({ home: ws })).toThrow(/: cannot write it: ENOSPC/);
      const files = (readdirSync(ws, { recursive: true, encoding: 'utf8' }) as string[]).map((f) => join(ws, f)).filter((f) => statSync(f).isFile());
      expect(files.filter((f) => statSync(f).size === 0 || /\.tmp-/.test(f))).toEqual([]);
      rmSync(join(mount, 'filler'));
      initWorkspace({ home: ws });
      expect(readFileSync(workspacePaths(ws).intermediateCert('edge-inference', 'daily-debug'), 'utf8')).toContain('BEGIN CERTIFICATE');
      expect(readWorkspace(ws).product).toBe('edge-inference');
    } finally {
      execFileSync('umount', [mount]);
    }
  });
});
