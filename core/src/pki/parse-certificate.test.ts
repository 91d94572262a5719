import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveTools, run } from '../test-support/oracle.js';
import { checkKeyMatchesCertificate, parseCertificate } from './parse-certificate.js';
import { createIntermediateCa, createRootCa } from './ca.js';

import { EVK_CERT, EVK_KEY } from './evk-device.fixture.js';

describe('parseCertificate', () => {
  it('reads the fields of an EVK device certificate', () => {
    const cert = parseCertificate(EVK_CERT, 'device-certificate.pem');
    expect({
      commonName: cert.commonName,
      subject: cert.subject,
      issuer: cert.issuer,
      serialNumber: cert.serialNumber,
      notBefore: cert.notBefore.toISOString(),
      notAfter: cert.notAfter.toISOString(),
      ca: cert.ca,
      pathLength: cert.pathLength,
    }).toEqual({
      commonName: 'EI-ML-0001',
      subject: 'CN=EI-ML-0001',
      issuer: 'CN=Intermediate CA edge-inference release',
      serialNumber: '73640e60adca225b4a548c188e87bf62206c5b9e',
      notBefore: '2024-06-26T15:38:17.000Z',
      notAfter: '2025-06-26T15:38:17.000Z',
      ca: false,
      pathLength: undefined,
    });
    expect(cert.publicKey.asymmetricKeyDetails).toEqual({ namedCurve: 'prime256v1' });
  });

  it('reports CA flags and path length', () => {
    const root = createRootCa({ commonName: 'Root CA X' });
    const inter = createIntermediateCa({ commonName: 'Intermediate CA X', issuer: root });
    expect([parseCertificate(root.certPem, 'r').ca, parseCertificate(root.certPem, 'r').pathLength]).toEqual([true, undefined]);
    expect([parseCertificate(inter.certPem, 'i').ca, parseCertificate(inter.certPem, 'i').pathLength]).toEqual([true, 0]);
  });

  it('names the source of a bad PEM, bad base64 or bad DER', () => {
    expect(() => parseCertificate(EVK_KEY, 'PERIDIO_CERTIFICATE')).toThrow(
      'PERIDIO_CERTIFICATE: expected a PEM block "-----BEGIN CERTIFICATE-----", found only "BEGIN EC PRIVATE KEY"',
    );
    const wrap = (body: string) => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
    expect(() => parseCertificate(wrap('MIIB!mTCC'), 'cert.pem')).toThrow('cert.pem: CERTIFICATE block is not valid base64');
    expect(() => parseCertificate(wrap('MAA='), 'cert.pem')).toThrow('cert.pem: bad DER: missing tbsCertificate (empty element)');
    expect(() => parseCertificate(EVK_CERT.replace('MIIBmTCC', 'MIIBmjCC'), 'cert.pem')).toThrow(
      'cert.pem: bad DER at byte 0: length 410 runs past the end of its container (byte 413)',
    );
  });
});

describe('checkKeyMatchesCertificate', () => {
  it('accepts the EVK key for its certificate', () => {
    expect(checkKeyMatchesCertificate(EVK_CERT, EVK_KEY, 'devices/EI-ML-0001').commonName).toBe('EI-ML-0001');
  });

  it('rejects another key, naming the source and certificate', () => {
    const other = createRootCa({ commonName: 'Root CA Y' });
    expect(() => checkKeyMatchesCertificate(EVK_CERT, other.keyPem, 'devices/EI-ML-0001')).toThrow(
      "devices/EI-ML-0001: private key does not match the certificate's public key (certificate CN=EI-ML-0001, serial 73640e60adca225b4a548c188e87bf62206c5b9e)",
    );
  });

  it('rejects a key file that is not an EC key', () => {
    expect(() => checkKeyMatchesCertificate(EVK_CERT, EVK_CERT, 'dev')).toThrow(
      'dev private key: expected a PEM block "-----BEGIN EC PRIVATE KEY----- or -----BEGIN PRIVATE KEY-----", found only "BEGIN CERTIFICATE"',
    );
  });
});

describe('parseCertificate: the fast path (Node) reads what @peculiar/x509 reads', () => {
  it('for device certificates with and without a sign bit in the serial, and names that need escaping', async () => {
    const { X509Certificate } = await import('@peculiar/x509');
    const { createDeviceIdentity } = await import('./device-identity.js');
    const root = createRootCa({ commonName: 'Root, with a comma' });
    const inter = createIntermediateCa({ commonName: 'Intermediate CA edge-inference release', issuer: root });
    const certs = [
      ...Array.from({ length: 40 }, (_, i) => createDeviceIdentity({ deviceId: `EI-ML-${String(i).padStart(4, '0')}`, issuer: inter }).certPem),
      ...['EI "quoted"', 'a+b', ' leading space', 'x=y', 'trailing ', '#hash'].map((deviceId) => createDeviceIdentity({ deviceId, issuer: root }).certPem),
      EVK_CERT,
    ];
    if (haveTools('openssl')) {
      // a serial with its top bit set is encoded with a leading 0x00
      const dir = mkdtempSync(join(tmpdir(), 'vfleet-serial-'));
      try {
        run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'),
          '-subj', '/CN=EI-ML-9999/O=Example Org', '-days', '1', '-set_serial', '0x8000000000000001', '-addext', 'basicConstraints=critical,CA:FALSE']);
        certs.push(readFileSync(join(dir, 'c.pem'), 'utf8'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    let signBit = 0;
    for (const pem of certs) {
      const ours = parseCertificate(pem, 'c');
      const ref = new X509Certificate(pem);
      if (ours.raw.serial[0] === 0 && !ours.ca) signBit++;
      expect({ cn: ours.commonName, subject: ours.subject, issuer: ours.issuer, serial: ours.serialNumber, from: ours.notBefore, to: ours.notAfter, ca: ours.ca })
        .toEqual({ cn: ref.subjectName.getField('CN')[0], subject: ref.subject, issuer: ref.issuer, serial: ref.serialNumber, from: ref.notBefore, to: ref.notAfter, ca: ours.ca });
    }
    if (haveTools('openssl')) expect(signBit).toBe(1);
  });
});
