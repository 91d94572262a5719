import { createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createIntermediateCa, createRootCa } from './ca.js';
import { splitCertificate } from './certificate-der.js';
import { createDeviceIdentity } from './device-identity.js';
import { issueEndEntity } from './end-entity.js';
import { commonNameDer } from './name.js';
import { decodePem, encodePem } from './pem.js';
import { verifyChain } from './verify-chain.js';

const root = createRootCa({ commonName: 'Root CA Acme Corp' });
const intermediate = createIntermediateCa({ commonName: 'Intermediate CA edge-inference release', issuer: root });
const device = createDeviceIdentity({ deviceId: 'EI-ML-0001', issuer: intermediate });

const der = (pem: string): Buffer => decodePem(pem, ['CERTIFICATE'], 'test').der;

describe('verifyChain', () => {
  it('accepts device → intermediate → root and returns the certificates leaf first', () => {
    const certs = verifyChain(device.certPem, [intermediate.certPem, root.certPem]);
    expect(certs.map((c) => c.commonName)).toEqual([
      'EI-ML-0001',
      'Intermediate CA edge-inference release',
      'Root CA Acme Corp',
    ]);
  });

  it('accepts a registered intermediate as the trust anchor', () => {
    expect(verifyChain(device.certPem, [intermediate.certPem]).map((c) => c.commonName)).toEqual([
      'EI-ML-0001',
      'Intermediate CA edge-inference release',
    ]);
  });

  it('rejects an expired leaf, saying when', () => {
    const old = createDeviceIdentity({ deviceId: 'EI-ML-0002', issuer: intermediate, now: new Date('2020-05-01T00:00:00Z') });
    const now = new Date('2022-01-01T00:00:00Z');
    expect(() => verifyChain(old.certPem, [intermediate.certPem, root.certPem], { now })).toThrow(
      'leaf certificate (CN=EI-ML-0002): expired 2021-05-01T00:00:00.000Z (checked at 2022-01-01T00:00:00.000Z)',
    );
  });

  it('rejects a certificate that is not yet valid', () => {
    const now = new Date('2001-01-01T00:00:00Z');
    expect(() => verifyChain(device.certPem, [intermediate.certPem, root.certPem], { now })).toThrow(
      /^leaf certificate \(CN=EI-ML-0001\): not valid before .* \(checked at 2001-01-01T00:00:00.000Z\)$/,
    );
  });

  it('rejects a chain whose CA has the same name but a different key', () => {
    const impostor = createIntermediateCa({ commonName: 'Intermediate CA edge-inference release', issuer: root });
    expect(() => verifyChain(device.certPem, [impostor.certPem, root.certPem])).toThrow(
      'leaf certificate (CN=EI-ML-0001): signature does not verify with the public key of CN=Intermediate CA edge-inference release',
    );
  });

  it('rejects a chain in the wrong order', () => {
    expect(() => verifyChain(device.certPem, [root.certPem, intermediate.certPem])).toThrow(
      'leaf certificate (CN=EI-ML-0001): issuer CN=Intermediate CA edge-inference release is not the next certificate, chain[0] (CN=Root CA Acme Corp)',
    );
  });

  it('rejects a root whose self-signature was tampered with', () => {
    const bytes = Buffer.from(der(root.certPem));
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 0x01;
    expect(() => verifyChain(device.certPem, [intermediate.certPem, encodePem('CERTIFICATE', bytes)])).toThrow(
      'chain[1] (CN=Root CA Acme Corp): signature does not verify with the public key of CN=Root CA Acme Corp',
    );
  });

  it('enforces pathlen:0 on the intermediate', () => {
    const sub = createIntermediateCa({ commonName: 'Sub CA', issuer: intermediate });
    const leaf = createDeviceIdentity({ deviceId: 'EI-ML-0009', issuer: sub });
    expect(() => verifyChain(leaf.certPem, [sub.certPem, intermediate.certPem, root.certPem])).toThrow(
      'chain[1] (CN=Intermediate CA edge-inference release): path length 0 allows 0 CA(s) below it, found 1',
    );
  });

  it('rejects a certificate signed by an end entity', () => {
    const deviceRaw = splitCertificate(der(device.certPem), 'device');
    const key = createPrivateKey(device.keyPem);
    const issuer = { commonName: 'EI-ML-0001', name: deviceRaw.subject, keyId: Buffer.alloc(20), key };
    const other = createDeviceIdentity({ deviceId: 'EI-ML-0010', issuer: intermediate });
    const otherRaw = splitCertificate(der(other.certPem), 'other');
    const forged = issueEndEntity({
      issuer,
      subject: commonNameDer('EI-ML-0010', 'id'),
      spki: otherRaw.spki,
      publicKeyBits: otherRaw.publicKeyBits,
      profile: 'evk',
      days: 30,
      now: new Date(),
    });
    expect(() => verifyChain(encodePem('CERTIFICATE', forged), [device.certPem, intermediate.certPem])).toThrow(
      'chain[0] (CN=EI-ML-0001): signs leaf certificate (CN=EI-ML-0010) but is not a CA (BasicConstraints CA:TRUE missing)',
    );
  });

  it('needs at least one chain certificate', () => {
    expect(() => verifyChain(device.certPem, [])).toThrow('certificate chain: empty');
  });
});
