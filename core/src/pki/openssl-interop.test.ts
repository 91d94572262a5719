// openssl as the oracle for what vfleet's CAs, device identities and the JITP signer produce.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { haveTools } from '../test-support/oracle.js';
import { createIntermediateCa, createRootCa } from './ca.js';
import { splitCertificate } from './certificate-der.js';
import { createDeviceIdentity, createVerificationCertificate } from './device-identity.js';
import { decodePem } from './pem.js';
import { signCsr } from './sign-csr.js';
import { DAY_MS } from './validity.js';

const root = createRootCa({ commonName: 'Root CA Acme Corp' });
const intermediate = createIntermediateCa({ commonName: 'Intermediate CA edge-inference release', issuer: root });

let dir = '';
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfleet-pki-'));
  write('root.pem', root.certPem);
  write('intermediate.pem', intermediate.certPem);
  write('intermediate-key.pem', intermediate.keyPem);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string): string => {
  fs.writeFileSync(path.join(dir, name), text);
  return name;
};
const read = (name: string): string => fs.readFileSync(path.join(dir, name), 'utf8');

// The `openssl ca` setup of peridiod's support/openssl.cnf, reduced to what signing a device CSR uses.
const CA_CONFIG = `[ ca ]
default_ca = default_ca
[ default_ca ]
database = database.txt
new_certs_dir = certificates
default_md = sha256
policy = default_policy
rand_serial = yes
unique_subject = no
email_in_dn = no
[ default_policy ]
commonName = supplied
[ end_entity_certificate_extensions ]
authorityKeyIdentifier=keyid:always
extendedKeyUsage=clientAuth
keyUsage=critical,digitalSignature
subjectKeyIdentifier=hash
`;

function openssl(...args: string[]): { status: number | null; out: string; err: string } {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

/** The lines of `openssl x509 -text` from "X509v3 extensions:" to the signature, key ids blanked. */
function extensionText(certFile: string): string[] {
  const text = openssl('x509', '-in', certFile, '-noout', '-text').out;
  const section = text.slice(text.indexOf('X509v3 extensions:'), text.lastIndexOf('Signature Algorithm'));
  return section
    .split('\n')
    .map((l) => l.trim().replace(/^([0-9A-F]{2}:){19}[0-9A-F]{2}$/, '<keyid>'))
    .filter((l) => l !== '');
}

const skiOf = (certFile: string): string => {
  const lines = openssl('x509', '-in', certFile, '-noout', '-ext', 'subjectKeyIdentifier').out.trim().split('\n');
  return (lines.at(-1) ?? '').trim();
};

const tool = !haveTools('openssl');

describe.skipIf(tool)('openssl interop: CAs', () => {
  it('reads the root: self-signed, CA:TRUE without path length, critical', () => {
    expect(openssl('verify', '-CAfile', 'root.pem', 'root.pem').out.trim()).toBe('root.pem: OK');
    expect(extensionText('root.pem')).toEqual([
      'X509v3 extensions:',
      'X509v3 Basic Constraints: critical',
      'CA:TRUE',
      'X509v3 Authority Key Identifier:',
      '<keyid>',
      'X509v3 Subject Key Identifier:',
      '<keyid>',
    ]);
  });

  it('reads the intermediate: CA:TRUE, pathlen:0 critical, AKI = root SKI', () => {
    expect(openssl('verify', '-CAfile', 'root.pem', 'intermediate.pem').out.trim()).toBe('intermediate.pem: OK');
    expect(extensionText('intermediate.pem')).toEqual([
      'X509v3 extensions:',
      'X509v3 Basic Constraints: critical',
      'CA:TRUE, pathlen:0',
      'X509v3 Authority Key Identifier:',
      '<keyid>',
      'X509v3 Subject Key Identifier:',
      '<keyid>',
    ]);
    const aki = openssl('x509', '-in', 'intermediate.pem', '-noout', '-ext', 'authorityKeyIdentifier').out;
    expect(aki).toContain(skiOf('root.pem'));
  });
});

describe.skipIf(tool)('openssl interop: EVK device identity', () => {
  beforeEach(() => {
    const id = createDeviceIdentity({ deviceId: 'EI-ML-0001', issuer: intermediate });
    write('device-certificate.pem', id.certPem);
    write('device-private-key.pem', id.keyPem);
    write('device-signing-request.pem', id.csrPem);
  });

  it('verifies against root + intermediate and shows CN=<device id>', () => {
    const verify = openssl('verify', '-CAfile', 'root.pem', '-untrusted', 'intermediate.pem', 'device-certificate.pem');
    expect([verify.status, verify.out.trim()]).toEqual([0, 'device-certificate.pem: OK']);
    expect(openssl('x509', '-in', 'device-certificate.pem', '-noout', '-subject').out.trim()).toBe('subject=CN = EI-ML-0001');
  });

  it('has CA:FALSE critical, AKI and SKI, and no Key Usage', () => {
    expect(extensionText('device-certificate.pem')).toEqual([
      'X509v3 extensions:',
      'X509v3 Basic Constraints: critical',
      'CA:FALSE',
      'X509v3 Authority Key Identifier:',
      '<keyid>',
      'X509v3 Subject Key Identifier:',
      '<keyid>',
    ]);
    const aki = openssl('x509', '-in', 'device-certificate.pem', '-noout', '-ext', 'authorityKeyIdentifier').out;
    expect(aki).toContain(skiOf('intermediate.pem'));
  });

  it('writes a key openssl reads as the certificate\'s key', () => {
    const fromKey = openssl('pkey', '-in', 'device-private-key.pem', '-pubout');
    const fromCert = openssl('x509', '-in', 'device-certificate.pem', '-noout', '-pubkey');
    expect(fromKey.status).toBe(0);
    expect(fromKey.out).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(fromKey.out).toBe(fromCert.out);
    expect(openssl('ec', '-in', 'device-private-key.pem', '-noout', '-check').err).toContain('EC Key valid.');
  });

  it('writes a CSR that `openssl req -verify` accepts, and openssl notices tampering', () => {
    const ok = openssl('req', '-verify', '-in', 'device-signing-request.pem', '-noout', '-subject');
    expect(ok.out.trim()).toBe('subject=CN = EI-ML-0001');
    expect(ok.err).toContain('self-signature verify OK');
    const der = decodePem(read('device-signing-request.pem'), ['CERTIFICATE REQUEST'], 'csr').der;
    der[der.length - 4] = (der[der.length - 4] as number) ^ 0x01;
    fs.writeFileSync(path.join(dir, 'bad.der'), der);
    expect(openssl('req', '-verify', '-inform', 'DER', '-in', 'bad.der', '-noout').err).toContain('verify failure');
  });

  it('issues a verification certificate openssl chains to the root', () => {
    write('verification.pem', createVerificationCertificate({ code: 'a1b2c3d4', issuer: intermediate }).certPem);
    expect(openssl('verify', '-CAfile', 'root.pem', '-untrusted', 'intermediate.pem', 'verification.pem').out.trim()).toBe(
      'verification.pem: OK',
    );
    expect(openssl('x509', '-in', 'verification.pem', '-noout', '-subject').out.trim()).toBe('subject=CN = a1b2c3d4');
  });
});

describe.skipIf(tool)('openssl interop: JITP', () => {
  it('shows clientAuth and critical Digital Signature on JITP device certificates', () => {
    write('jitp.pem', createDeviceIdentity({ deviceId: 'EI-ML-0003', issuer: intermediate, profile: 'jitp' }).certPem);
    const verify = openssl('verify', '-CAfile', 'root.pem', '-untrusted', 'intermediate.pem', 'jitp.pem');
    expect(verify.out.trim()).toBe('jitp.pem: OK');
    expect(extensionText('jitp.pem')).toEqual([
      'X509v3 extensions:',
      'X509v3 Authority Key Identifier:',
      '<keyid>',
      'X509v3 Extended Key Usage:',
      'TLS Web Client Authentication',
      'X509v3 Key Usage: critical',
      'Digital Signature',
      'X509v3 Subject Key Identifier:',
      '<keyid>',
    ]);
  });

  it('signs an entrypoint.sh-style CSR exactly as `openssl ca` with end_entity_certificate_extensions does', () => {
    openssl('ecparam', '-genkey', '-name', 'prime256v1', '-out', 'device-private-key.pem');
    openssl('req', '-key', 'device-private-key.pem', '-new', '-out', 'csr.pem', '-subj', '/CN=EI-ML-0005');
    const now = new Date();
    const csrPem = read('csr.pem');
    const mine = describeCert(write('ours.pem', signCsr({ csrPem, issuer: intermediate, profile: 'jitp', now })));

    write('openssl.cnf', CA_CONFIG);
    write('database.txt', '');
    fs.mkdirSync(path.join(dir, 'certificates'));
    const stamp = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
    const ca = openssl(
      'ca', '-batch', '-config', 'openssl.cnf', '-cert', 'intermediate.pem', '-keyfile', 'intermediate-key.pem',
      '-extensions', 'end_entity_certificate_extensions', '-in', 'csr.pem', '-out', 'theirs.pem',
      '-startdate', stamp(mine.notBefore), '-enddate', stamp(mine.notAfter),
    );
    expect(ca.status).toBe(0);

    const theirs = describeCert('theirs.pem');
    expect(mine.extensions).toEqual(theirs.extensions);
    expect([mine.subject, mine.issuer]).toEqual([theirs.subject, theirs.issuer]);
    expect([mine.notBefore, mine.notAfter]).toEqual([theirs.notBefore, theirs.notAfter]);
    const yesterdayMidnight = new Date((Math.floor(now.getTime() / DAY_MS) - 1) * DAY_MS);
    expect(mine.notBefore).toEqual(yesterdayMidnight);
    const verify = openssl('verify', '-CAfile', 'root.pem', '-untrusted', 'intermediate.pem', 'ours.pem');
    expect(verify.out.trim()).toBe('ours.pem: OK');
  });

  it('issues from a CA made by openssl (key file with EC PARAMETERS, openssl-computed SKI)', () => {
    openssl('ecparam', '-genkey', '-name', 'prime256v1', '-out', 'ca-key.pem');
    const made = openssl('req', '-x509', '-key', 'ca-key.pem', '-subj', '/CN=Signing CA', '-days', '30', '-out', 'ca.pem');
    expect(made.status).toBe(0);
    const issuer = { certPem: read('ca.pem'), keyPem: read('ca-key.pem') };
    write('dev.pem', createDeviceIdentity({ deviceId: 'EI-ML-0006', issuer, profile: 'jitp' }).certPem);
    expect(openssl('verify', '-CAfile', 'ca.pem', 'dev.pem').out.trim()).toBe('dev.pem: OK');
  });
});

/** The parts openssl ca and signCsr must agree on: extension bytes, names and validity. */
function describeCert(file: string) {
  const raw = splitCertificate(decodePem(read(file), ['CERTIFICATE'], file).der, file);
  const dates = openssl('x509', '-in', file, '-noout', '-startdate', '-enddate').out;
  const date = (key: string) => new Date((dates.match(new RegExp(`${key}=(.*)`))?.[1] ?? '').trim());
  return {
    extensions: [...raw.extensions].map(([oid, e]) => [oid, e.critical, e.value.toString('hex')]),
    subject: raw.subject.toString('hex'),
    issuer: raw.issuer.toString('hex'),
    notBefore: date('notBefore'),
    notAfter: date('notAfter'),
  };
}
