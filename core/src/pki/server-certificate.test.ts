import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { haveTools, run } from '../test-support/oracle.js';
import { createRootCa } from './ca.js';
import { createServerCertificate } from './server-certificate.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vfleet-srv-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('createServerCertificate', () => {
  it('names every host and address as a SAN and matches them', () => {
    const ca = createRootCa({ commonName: 'Server CA test' });
    const { certPem } = createServerCertificate({ hosts: ['localhost', '127.0.0.1', '::1', 'device.example.test'], issuer: ca });
    const cert = new X509Certificate(certPem);
    expect(cert.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:device.example.test');
    expect(cert.checkHost('device.example.test')).toBe('device.example.test');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkIP('10.0.0.1')).toBeUndefined();
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
  });

  it('rejects a host that is neither a name nor an address', () => {
    const ca = createRootCa({ commonName: 'Server CA test' });
    expect(() => createServerCertificate({ hosts: ['bad host'], issuer: ca })).toThrow(/"bad host" is not a host name or IP address/);
    expect(() => createServerCertificate({ hosts: [], issuer: ca })).toThrow(/none given/);
  });

  it.skipIf(!haveTools('openssl'))('is accepted by openssl as a TLS server certificate for its hosts', () => {
    const ca = createRootCa({ commonName: 'Server CA test' });
    const { certPem } = createServerCertificate({ hosts: ['localhost', '127.0.0.1'], issuer: ca });
    writeFileSync(join(dir, 'ca.pem'), ca.certPem);
    writeFileSync(join(dir, 'srv.pem'), certPem);
    const out = run('openssl', ['verify', '-purpose', 'sslserver', '-verify_hostname', 'localhost', '-verify_ip', '127.0.0.1', '-CAfile', join(dir, 'ca.pem'), join(dir, 'srv.pem')]);
    expect(out.trim()).toBe(`${join(dir, 'srv.pem')}: OK`);
  });
});
