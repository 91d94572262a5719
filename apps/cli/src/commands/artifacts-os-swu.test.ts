import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveTools } from '@vfleet/core/test-support';
import { runVfleet } from '../test-support/run-vfleet.js';

const root = mkdtempSync(join(tmpdir(), 'vfleet-cli-swu-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const vfleet = (...argv: string[]) => runVfleet(join(root, 'home'), argv);
const os = ['artifacts', 'os', '--version', '1.13.0', '--size', '1M', '--disk-size', '16M'];

describe.skipIf(!haveTools('openssl'))('vfleet artifacts os --format swu', () => {
  it('writes a .swu signed by the workspace signer, made once', async () => {
    expect((await vfleet('init')).code).toBe(0);
    const out = join(root, 'os.swu');
    const first = await vfleet(...os, '--format', 'swu', '--hw-compat', '1.0,1.1', '--out', out);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/os\.swu: edge-inference-os 1\.13\.0 \(ok\), \d+ bytes, selections stable,a\/stable,b/);
    const bytes = readFileSync(out);
    expect(bytes.subarray(0, 6).toString()).toBe('070702');
    expect(bytes.toString('latin1')).toContain('hardware-compatibility = [ "1.0", "1.1" ];');
    const cert = readFileSync(join(root, 'home', 'pki', 'swupdate', 'signer-certificate.pem'), 'utf8');
    expect((await vfleet(...os, '--format', 'swu', '--out', join(root, 'again.swu'))).code).toBe(0);
    expect(readFileSync(join(root, 'home', 'pki', 'swupdate', 'signer-certificate.pem'), 'utf8')).toBe(cert);
  }, 60_000);

  it('refuses flags of the other format', async () => {
    const key = await vfleet(...os, '--format', 'swu', '--sign-key', join(root, 'k'), '--out', join(root, 'x.swu'));
    expect(key.code).not.toBe(0);
    expect(key.err).toMatch(/--sign-key: an fwup key/);
    const hw = await vfleet(...os, '--hw-compat', '1.0', '--out', join(root, 'x.fw'));
    expect(hw.code).not.toBe(0);
    expect(hw.err).toMatch(/--hw-compat: only for --format swu/);
    const bad = await vfleet(...os, '--format', 'tar', '--out', join(root, 'x.tar'));
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/--format.*fwup, swu/);
  });
});
