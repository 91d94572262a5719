import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
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
  });
});
