import { X509Certificate } from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import { createIntermediateCa, createRootCa } from './ca.js';
import { createDeviceIdentity } from './device-identity.js';
import { decodePem, encodePem } from './pem.js';
import { signCsr } from './sign-csr.js';

const root = createRootCa({ commonName: 'Root CA Acme Corp' });
const intermediate = createIntermediateCa({ commonName: 'Intermediate CA edge-inference release', issuer: root });
const device = createDeviceIdentity({ deviceId: 'EI-ML-0004', issuer: intermediate });

const csrDer = (): Buffer => decodePem(device.csrPem, ['CERTIFICATE REQUEST'], 'test').der;

describe('signCsr', () => {
  it('issues a certificate for the CSR subject and key', () => {
    const now = new Date('2025-07-01T08:00:00Z');
    const cert = new X509Certificate(signCsr({ csrPem: device.csrPem, issuer: intermediate, profile: 'jitp', now }));
    expect(cert.subject).toBe('CN=EI-ML-0004');
    expect(cert.issuer).toBe('CN=Intermediate CA edge-inference release');
    expect(cert.publicKey.rawData).toEqual(new X509Certificate(device.certPem).publicKey.rawData);
    expect([cert.notBefore.toISOString(), cert.notAfter.toISOString()]).toEqual([
      '2025-06-30T00:00:00.000Z',
      '2025-07-30T00:00:00.000Z',
    ]);
  });

  it('honours days and the EVK profile window', () => {
    const now = new Date('2025-07-01T08:00:00Z');
    const cert = new X509Certificate(signCsr({ csrPem: device.csrPem, issuer: intermediate, profile: 'evk', days: 10, now }));
    expect([cert.notBefore.toISOString(), cert.notAfter.toISOString()]).toEqual([
      '2025-06-30T08:00:00.000Z',
      '2025-07-11T08:00:00.000Z',
    ]);
  });

  it('refuses a CSR whose subject was changed after signing', () => {
    const der = csrDer();
    const at = der.indexOf('EI-ML-0004');
    der.write('EI-ML-6666', at, 'latin1');
    const csrPem = encodePem('CERTIFICATE REQUEST', der);
    expect(() => signCsr({ csrPem, issuer: intermediate, profile: 'jitp', source: 'device-signing-request.pem' })).toThrow(
      'device-signing-request.pem: CSR self-signature does not verify with its own public key',
    );
  });

  it('refuses input that is not a CSR, naming it', () => {
    expect(() => signCsr({ csrPem: device.certPem, issuer: intermediate, profile: 'evk' })).toThrow(
      'CSR: expected a PEM block "-----BEGIN CERTIFICATE REQUEST----- or -----BEGIN NEW CERTIFICATE REQUEST-----", found only "BEGIN CERTIFICATE"',
    );
  });
});
