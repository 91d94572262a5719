import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
} from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import { createIntermediateCa, createRootCa } from './ca.js';
import { DAY_MS } from './validity.js';

const now = new Date('2025-03-10T12:34:56.789Z');

// @peculiar/x509 is the independent reader here: it parses what our DER encoder wrote.
function inspect(pem: string) {
  const cert = new X509Certificate(pem);
  return {
    cert,
    bc: cert.getExtension(BasicConstraintsExtension),
    aki: cert.getExtension(AuthorityKeyIdentifierExtension)?.keyId,
    ski: cert.getExtension(SubjectKeyIdentifierExtension)?.keyId,
  };
}

describe('createRootCa', () => {
  it('is self-signed, CA without path length (critical), AKI = SKI, 31 years from a day back', async () => {
    const root = createRootCa({ commonName: 'Root CA Acme Corp', now });
    const { cert, bc, aki, ski } = inspect(root.certPem);
    expect(cert.subject).toBe('CN=Root CA Acme Corp');
    expect(cert.issuer).toBe('CN=Root CA Acme Corp');
    expect(await cert.isSelfSigned()).toBe(true);
    expect([bc?.ca, bc?.pathLength, bc?.critical]).toEqual([true, undefined, true]);
    expect(aki).toHaveLength(40);
    expect(aki).toBe(ski);
    expect(cert.notBefore.toISOString()).toBe('2025-03-09T12:34:56.000Z');
    expect(cert.notAfter.getTime() - Math.floor(now.getTime() / 1000) * 1000).toBe(31 * 365 * DAY_MS);
    expect(cert.signatureAlgorithm).toMatchObject({ name: 'ECDSA', hash: { name: 'SHA-256' } });
    expect(root.keyPem).toMatch(/^-----BEGIN EC PRIVATE KEY-----\n/);
  });

  it('takes explicit notBefore/notAfter', () => {
    const notBefore = new Date('2020-01-01T00:00:00Z');
    const notAfter = new Date('2060-01-01T00:00:00Z');
    const { cert } = inspect(createRootCa({ commonName: 'Root CA X', notBefore, notAfter }).certPem);
    expect([cert.notBefore, cert.notAfter]).toEqual([notBefore, notAfter]);
  });

  it('rejects a common name X.509 cannot hold', () => {
    expect(() => createRootCa({ commonName: 'x'.repeat(65) })).toThrow(
      /root CA name "x+": a certificate common name must be 1–64 characters, got 65/,
    );
  });
});

describe('createIntermediateCa', () => {
  it('is signed by the root: CA pathlen 0 (critical), AKI = root SKI, own SKI, 10 years', async () => {
    const root = createRootCa({ commonName: 'Root CA Acme Corp', now });
    const inter = createIntermediateCa({ commonName: 'Intermediate CA edge-inference release', issuer: root, now });
    const i = inspect(inter.certPem);
    const r = inspect(root.certPem);
    expect(i.cert.subject).toBe('CN=Intermediate CA edge-inference release');
    expect(i.cert.issuer).toBe('CN=Root CA Acme Corp');
    expect(await i.cert.verify({ publicKey: r.cert.publicKey, signatureOnly: true })).toBe(true);
    expect([i.bc?.ca, i.bc?.pathLength, i.bc?.critical]).toEqual([true, 0, true]);
    expect(i.aki).toBe(r.ski);
    expect(i.ski).not.toBe(r.ski);
    expect(i.cert.notAfter.getTime() - i.cert.notBefore.getTime()).toBe((3650 + 1) * DAY_MS);
  });

  it('refuses an issuer whose key does not match its certificate', () => {
    const a = createRootCa({ commonName: 'Root CA A' });
    const b = createRootCa({ commonName: 'Root CA B' });
    expect(() =>
      createIntermediateCa({ commonName: 'I', issuer: { certPem: a.certPem, keyPem: b.keyPem } }),
    ).toThrow("issuer: private key does not match the certificate's public key (certificate CN=Root CA A");
  });
});
