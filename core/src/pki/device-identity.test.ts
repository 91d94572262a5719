import { createPrivateKey, createPublicKey } from 'node:crypto';
import { Pkcs10CertificateRequest, X509Certificate } from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import { createIntermediateCa, createRootCa } from './ca.js';
import { splitCertificate } from './certificate-der.js';
import { createDeviceIdentity, createVerificationCertificate } from './device-identity.js';
import { OID } from './oids.js';
import { decodePem } from './pem.js';

import { EVK_CERT as EVK_DEVICE_CERT } from './evk-device.fixture.js';

const now = new Date('2025-03-10T12:34:56Z');
const root = createRootCa({ commonName: 'Root CA Acme Corp', now });
const intermediate = createIntermediateCa({ commonName: 'Intermediate CA edge-inference release', issuer: root, now });

const der = (pem: string): Buffer => decodePem(pem, ['CERTIFICATE'], 'test').der;
/** Extension OIDs with critical flags and value lengths: the layout, without the key-dependent bytes. */
const layout = (pem: string) =>
  [...splitCertificate(der(pem), 'test').extensions].map(([oid, e]) => [oid, e.critical, e.value.length]);

describe('createDeviceIdentity (EVK profile)', () => {
  const id = createDeviceIdentity({ deviceId: 'EI-ML-0001', issuer: intermediate, now });
  const cert = new X509Certificate(id.certPem);

  it('issues CN=<device id> from the intermediate, valid from a day back for 1 year', async () => {
    expect(cert.subject).toBe('CN=EI-ML-0001');
    expect(cert.issuer).toBe('CN=Intermediate CA edge-inference release');
    expect(cert.notBefore.toISOString()).toBe('2025-03-09T12:34:56.000Z');
    expect(cert.notAfter.toISOString()).toBe('2026-03-10T12:34:56.000Z');
    const issuer = new X509Certificate(intermediate.certPem);
    expect(await cert.verify({ publicKey: issuer.publicKey, signatureOnly: true })).toBe(true);
  });

  it('has the extension layout of a real EVK device certificate: CA:FALSE critical, AKI, SKI, nothing else', () => {
    expect(layout(id.certPem)).toEqual([
      [OID.basicConstraints, true, 2],
      [OID.authorityKeyIdentifier, false, 24],
      [OID.subjectKeyIdentifier, false, 22],
    ]);
    expect(layout(id.certPem)).toEqual(layout(EVK_DEVICE_CERT));
    const bc = (pem: string) => splitCertificate(der(pem), 't').extensions.get(OID.basicConstraints)?.value.toString('hex');
    expect(bc(id.certPem)).toBe(bc(EVK_DEVICE_CERT));
  });

  it('encodes the subject Name exactly as the EVK does (UTF8String CN)', () => {
    const subject = (pem: string) => splitCertificate(der(pem), 't').subject.toString('hex');
    expect(subject(id.certPem)).toBe(subject(EVK_DEVICE_CERT));
  });

  it('writes a SEC1 "EC PRIVATE KEY" that is the certificate\'s key', () => {
    expect(id.keyPem).toMatch(/^-----BEGIN EC PRIVATE KEY-----\n[^]+\n-----END EC PRIVATE KEY-----\n$/);
    const fromKey = createPublicKey(createPrivateKey(id.keyPem)).export({ type: 'spki', format: 'der' });
    expect(Buffer.from(cert.publicKey.rawData).equals(fromKey)).toBe(true);
  });

  it('writes a CSR for CN=<device id> signed by the device key', async () => {
    const csr = new Pkcs10CertificateRequest(id.csrPem);
    expect(csr.subject).toBe('CN=EI-ML-0001');
    expect(await csr.verify()).toBe(true);
    expect(Buffer.from(csr.publicKey.rawData).equals(Buffer.from(cert.publicKey.rawData))).toBe(true);
  });

  it('gives every certificate a fresh positive 16-byte serial and a fresh key', () => {
    const certs = Array.from({ length: 20 }, (_, i) =>
      new X509Certificate(createDeviceIdentity({ deviceId: `D-${i}`, issuer: intermediate }).certPem),
    );
    const serials = certs.map((c) => c.serialNumber);
    expect(new Set(serials).size).toBe(20);
    for (const s of serials) expect(s).toMatch(/^[4-7][0-9a-f]{31}$/);
    expect(new Set(certs.map((c) => Buffer.from(c.publicKey.rawData).toString('hex'))).size).toBe(20);
  });

  it('rejects an empty or over-long device id, naming it', () => {
    expect(() => createDeviceIdentity({ deviceId: '', issuer: intermediate })).toThrow(
      'device id "": a certificate common name must be 1–64 characters, got 0',
    );
    expect(() => createDeviceIdentity({ deviceId: 'é'.repeat(65), issuer: intermediate })).toThrow('got 65');
  });

  it('refuses to issue from a certificate that is not a CA', () => {
    expect(() => createDeviceIdentity({ deviceId: 'x', issuer: id })).toThrow(
      'issuer: certificate CN=EI-ML-0001 is not a CA (BasicConstraints CA:TRUE is required to sign certificates)',
    );
  });
});

describe('createDeviceIdentity (JITP profile)', () => {
  it('uses openssl.cnf end_entity_certificate_extensions and yesterday 00:00 UTC + 30 days', () => {
    const id = createDeviceIdentity({ deviceId: 'EI-ML-0003', issuer: intermediate, profile: 'jitp', now });
    const cert = new X509Certificate(id.certPem);
    expect(cert.notBefore.toISOString()).toBe('2025-03-09T00:00:00.000Z');
    expect(cert.notAfter.toISOString()).toBe('2025-04-08T00:00:00.000Z');
    expect(layout(id.certPem)).toEqual([
      [OID.authorityKeyIdentifier, false, 24],
      [OID.extKeyUsage, false, 12],
      [OID.keyUsage, true, 4],
      [OID.subjectKeyIdentifier, false, 22],
    ]);
  });
});

describe('createVerificationCertificate', () => {
  it('issues CN=<verification code> signed by the intermediate', async () => {
    const v = createVerificationCertificate({ code: '2f1c3a9b8e7d4c5b', issuer: intermediate });
    const cert = new X509Certificate(v.certPem);
    expect(cert.subject).toBe('CN=2f1c3a9b8e7d4c5b');
    const issuer = new X509Certificate(intermediate.certPem);
    expect(await cert.verify({ publicKey: issuer.publicKey, signatureOnly: true })).toBe(true);
  });
});
