import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { ensureServerIdentity } from './server-identity.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vfleet-tls-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('ensureServerIdentity', () => {
  it('makes a CA once and a server certificate for loopback plus the given hosts', () => {
    const a = ensureServerIdentity(dir, ['device.test'], 'acme');
    const cert = new X509Certificate(a.certPem);
    expect(cert.checkHost('device.test')).toBe('device.test');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.verify(new X509Certificate(a.caPem).publicKey)).toBe(true);
    expect(new X509Certificate(readFileSync(a.caPath)).subject).toBe('CN=Device API CA acme');
    const b = ensureServerIdentity(dir, ['device.test'], 'acme');
    expect(b.certPem).toBe(a.certPem);
  });

  it('reissues the server certificate, not the CA, when a new host appears', () => {
    const a = ensureServerIdentity(dir, [], 'acme');
    const b = ensureServerIdentity(dir, ['10.9.8.7'], 'acme');
    expect(b.certPem).not.toBe(a.certPem);
    expect(b.caPem).toBe(a.caPem);
    expect(new X509Certificate(b.certPem).checkIP('10.9.8.7')).toBe('10.9.8.7');
  });
});
