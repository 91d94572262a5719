import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pkcs10CertificateRequest, X509Certificate } from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveTools } from '../test-support/oracle.js';
import { createIntermediateCa, createRootCa } from './ca.js';
import { splitCertificate } from './certificate-der.js';
import { createDeviceIdentity } from './device-identity.js';
import { issueEndEntity, type EndEntityProfile } from './end-entity.js';
import { EVK_CERT } from './evk-device.fixture.js';
import { identityTemplate } from './identity-template.js';
import { loadIssuer } from './issuer.js';
import { decodePem } from './pem.js';
import { loadSigner } from './signer.js';

const now = new Date('2025-03-10T12:34:56Z');
const root = createRootCa({ commonName: 'Root CA Acme Corp', now });
const intermediate = createIntermediateCa({ commonName: 'Intermediate CA edge-inference release', issuer: root, now });
const der = (pem: string): Buffer => decodePem(pem, ['CERTIFICATE'], 'test').der;
const extLayout = (pem: string) => [...splitCertificate(der(pem), 't').extensions].map(([oid, e]) => [oid, e.critical, e.value.length]);

describe('loadSigner', () => {
  it('yields the name and key id loadIssuer does, without an X.509 library', () => {
    const signer = loadSigner(intermediate);
    const issuer = loadIssuer(intermediate);
    expect(signer.name.equals(issuer.name)).toBe(true);
    expect(signer.keyId.equals(issuer.keyId)).toBe(true);
    expect(signer.key.asymmetricKeyType).toBe('ec');
  });

  it('refuses a key that is not the certificate\'s and a certificate that is not a CA', () => {
    expect(() => loadSigner({ certPem: intermediate.certPem, keyPem: root.keyPem }, 'cohort release')).toThrow(
      /^cohort release: private key does not match the certificate's public key \(certificate CN=Intermediate CA edge-inference release, serial [0-9a-f]+\)$/,
    );
    const device = createDeviceIdentity({ deviceId: 'EI-ML-0001', issuer: intermediate, now });
    expect(() => loadSigner({ certPem: device.certPem, keyPem: device.keyPem }, 'x')).toThrow(
      'x: certificate CN=EI-ML-0001 is not a CA (BasicConstraints CA:TRUE is required to sign certificates)',
    );
    expect(() => loadSigner({ certPem: 'nope', keyPem: root.keyPem }, 'x')).toThrow(/^x certificate: expected a PEM block/);
  });
});

describe.each<EndEntityProfile>(['evk', 'jitp'])('identityTemplate (%s profile)', (profile) => {
  const make = identityTemplate({ signer: loadSigner(intermediate), profile, now });
  const ids = Array.from({ length: 20 }, (_, i) => make(`EI-ML-${String(i + 1).padStart(4, '0')}`, 'device id'));

  it('encodes byte for byte the TBSCertificate the generic builder encodes, but for the serial', () => {
    for (const id of ids.slice(0, 3)) {
      const fast = splitCertificate(der(id.certPem), 'template');
      const slow = splitCertificate(
        issueEndEntity({ issuer: loadIssuer(intermediate), subject: fast.subject, spki: fast.spki, publicKeyBits: fast.publicKeyBits, profile, days: profile === 'evk' ? 365 : 30, now }),
        'generic',
      );
      const at = slow.tbs.indexOf(slow.serial);
      expect(at).toBeGreaterThan(0);
      const patched = Buffer.from(slow.tbs);
      fast.serial.copy(patched, at);
      expect(fast.tbs.toString('hex')).toBe(patched.toString('hex'));
    }
  });

  it('gives every identity its own key, serial and SKI, a CSR signed by that key, and a certificate the intermediate signed', async () => {
    const issuerKey = new X509Certificate(intermediate.certPem).publicKey;
    const seen = new Set<string>();
    for (const [i, id] of ids.entries()) {
      const cert = new X509Certificate(id.certPem);
      expect(cert.subject).toBe(`CN=EI-ML-${String(i + 1).padStart(4, '0')}`);
      expect(cert.issuer).toBe('CN=Intermediate CA edge-inference release');
      expect(await cert.verify({ publicKey: issuerKey, signatureOnly: true })).toBe(true);
      const csr = new Pkcs10CertificateRequest(id.csrPem);
      expect(csr.subject).toBe(cert.subject);
      expect(await csr.verify()).toBe(true);
      const fromKey = createPublicKey(createPrivateKey(id.keyPem)).export({ type: 'spki', format: 'der' });
      expect(Buffer.from(cert.publicKey.rawData).equals(fromKey)).toBe(true);
      seen.add(cert.serialNumber);
      seen.add(id.keyPem);
    }
    expect(seen.size).toBe(40);
  });

  it.runIf(profile === 'evk')('keeps the EVK extension set and validity of createDeviceIdentity', () => {
    const cert = new X509Certificate(ids[0]?.certPem ?? '');
    expect(cert.notBefore.toISOString()).toBe('2025-03-09T12:34:56.000Z');
    expect(cert.notAfter.toISOString()).toBe('2026-03-10T12:34:56.000Z');
    expect(extLayout(ids[0]?.certPem ?? '')).toEqual(extLayout(EVK_CERT));
  });
});

describe.skipIf(!haveTools('openssl'))('identityTemplate and openssl', () => {
  let dir = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfleet-idtpl-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const openssl = (...args: string[]): string => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  it('verifies every template certificate against root + intermediate, prints its extensions, and matches its key', () => {
    fs.writeFileSync(path.join(dir, 'root.pem'), root.certPem);
    fs.writeFileSync(path.join(dir, 'intermediate.pem'), intermediate.certPem);
    const make = identityTemplate({ signer: loadSigner(intermediate), now: new Date() });
    const names: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = make(`EI-ML-${i}`);
      fs.writeFileSync(path.join(dir, `c${i}.pem`), id.certPem);
      fs.writeFileSync(path.join(dir, `k${i}.pem`), id.keyPem);
      fs.writeFileSync(path.join(dir, `r${i}.pem`), id.csrPem);
      names.push(`c${i}.pem`);
    }
    const verified = openssl('verify', '-CAfile', 'root.pem', '-untrusted', 'intermediate.pem', ...names);
    expect(verified.trim().split('\n')).toEqual(names.map((n) => `${n}: OK`));
    const text = openssl('x509', '-in', 'c0.pem', '-noout', '-text');
    expect(text).toMatch(/Subject: CN ?= ?EI-ML-0\n/);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toContain('X509v3 Authority Key Identifier');
    expect(text).toContain('X509v3 Subject Key Identifier');
    expect(text).toContain('ecdsa-with-SHA256');
    expect(openssl('req', '-in', 'r0.pem', '-noout', '-verify', '-subject')).toMatch(/subject=CN ?= ?EI-ML-0/);
    expect(openssl('x509', '-in', 'c3.pem', '-noout', '-pubkey')).toBe(openssl('ec', '-in', 'k3.pem', '-pubout'));
  });
});
