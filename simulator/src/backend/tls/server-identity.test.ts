import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
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

describe('ensureServerIdentity with damaged files', () => {
  const server = (name: string) => join(dir, 'server', name);
  /** One line naming `file`: what the CLI prints instead of an X509 stack. */
  const oneLine = (file: string) => new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: [^\\n]+$`);

  it('reissues a server certificate that is not a certificate, for the same CA', () => {
    const a = ensureServerIdentity(dir, [], 'acme');
    writeFileSync(server('server-certificate.pem'), 'garbage\n');
    const b = ensureServerIdentity(dir, [], 'acme');
    const cert = new X509Certificate(b.certPem);
    expect(cert.verify(new X509Certificate(a.caPem).publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(b.keyPem))).toBe(true);
    expect(readFileSync(server('server-certificate.pem'), 'utf8')).toBe(b.certPem);
  });

  it('reissues a certificate whose key is another one (a reissue cut short between its renames)', () => {
    ensureServerIdentity(dir, [], 'acme');
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    writeFileSync(server('server-private-key.pem'), other);
    const b = ensureServerIdentity(dir, [], 'acme');
    expect(new X509Certificate(b.certPem).checkPrivateKey(createPrivateKey(b.keyPem))).toBe(true);
  });

  it.each([
    ['an empty server key', 'server-private-key.pem', '', /is not a PEM private key/],
    ['a server key that is not a key', 'server-private-key.pem', 'not a key\n', /is not a PEM private key/],
    ['an empty CA certificate', 'ca-certificate.pem', '', /is not a PEM certificate/],
    ['a CA key that is not a key', 'ca-private-key.pem', 'zz\n', /is not a PEM private key/],
  ])('refuses %s with one line naming the file', (_what, name, content, why) => {
    ensureServerIdentity(dir, [], 'acme');
    writeFileSync(server(name), content);
    expect(() => ensureServerIdentity(dir, [], 'acme')).toThrow(oneLine(server(name)));
    expect(() => ensureServerIdentity(dir, [], 'acme')).toThrow(why);
    expect(readFileSync(server(name), 'utf8')).toBe(content);
  });

  it('refuses a missing CA key and a CA key of another CA, naming the key file', () => {
    ensureServerIdentity(dir, [], 'acme');
    const key = readFileSync(server('ca-private-key.pem'), 'utf8');
    rmSync(server('ca-private-key.pem'));
    expect(() => ensureServerIdentity(dir, [], 'acme')).toThrow(oneLine(server('ca-private-key.pem')));
    writeFileSync(server('ca-private-key.pem'), generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
    expect(() => ensureServerIdentity(dir, [], 'acme')).toThrow(/ca-private-key\.pem: is not the key of .*ca-certificate\.pem/);
    expect(key).toMatch(/PRIVATE KEY/);
  });
});
