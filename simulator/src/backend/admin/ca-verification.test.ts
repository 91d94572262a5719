import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIntermediateCa, createRootCa, createVerificationCertificate, type IssuerPems } from '@vfleet/core';
import { haveTools, run } from '@vfleet/core/test-support';
import { isStoreError } from '../store/index.js';
import { tempStore } from '../store/fixtures/temp-store.js';
import { startHarness, type Harness } from './fixtures/admin-harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.close());

const root = createRootCa({ commonName: 'Root CA acme' });
const intermediate = (cohort: string): IssuerPems => createIntermediateCa({ commonName: `Intermediate CA edge-inference ${cohort}`, issuer: root });

async function newCode(): Promise<string> {
  const res = await h.api('POST', '/api/v1/ca-certificates/verification-codes');
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  const { verification_code: code, expires_at: expires } = res.json.verification_code;
  expect(code).toMatch(/^[0-9a-f]{32}$/);
  expect(Date.parse(expires) - Date.now()).toBeGreaterThan(23 * 3600 * 1000);
  return code;
}

const register = (ca: IssuerPems, verificationPem: string) =>
  h.api('POST', '/api/v1/ca-certificates', { certificate_pem: ca.certPem, verification_certificate_pem: verificationPem, description: 'test' });

describe('CA registration through a verification certificate (protocol §8.4)', () => {
  it('registers a CA whose verification certificate carries a fresh code, and spends the code', async () => {
    const ca = intermediate('release');
    const code = await newCode();
    const ok = await register(ca, createVerificationCertificate({ code, issuer: ca }).certPem);
    expect(ok.status, JSON.stringify(ok.json)).toBe(201);
    expect(ok.json.ca_certificate.subject).toBe('CN=Intermediate CA edge-inference release');
    expect(h.store.caCertificates.list().map((c) => c.uuid)).toEqual([ok.json.ca_certificate.uuid]);

    const other = intermediate('daily-release');
    const again = await register(other, createVerificationCertificate({ code, issuer: other }).certPem);
    expect(again.status).toBe(422);
    expect(again.json.error.field).toBe('ca_certificate.verification_certificate_pem');
    expect(again.json.error.message).toContain(`verification code ${code} was already used`);
    expect(h.store.caCertificates.list()).toHaveLength(1);
  });

  it('refuses a missing, foreign-signed, wrongly named or expired verification certificate, spending nothing', async () => {
    const ca = intermediate('release');
    const code = await newCode();
    const missing = await h.api('POST', '/api/v1/ca-certificates', { certificate_pem: ca.certPem });
    expect([missing.status, missing.json.error.field]).toEqual([422, 'ca_certificate.verification_certificate_pem']);

    // signed by another CA: one with a different name, and an impostor with the same name but its own key
    const impostor = createIntermediateCa({ commonName: 'Intermediate CA edge-inference release', issuer: root });
    for (const signer of [intermediate('daily-debug'), impostor]) {
      const wrong = await register(ca, createVerificationCertificate({ code, issuer: signer }).certPem);
      expect(wrong.status).toBe(422);
      expect(wrong.json.error.message).toContain('is not signed by the CA being registered');
    }

    const wrongCn = await register(ca, createVerificationCertificate({ code: 'f'.repeat(32), issuer: ca }).certPem);
    expect(wrongCn.status).toBe(422);
    expect(wrongCn.json.error.message).toContain(`CN "${'f'.repeat(32)}" is not a verification code of this backend`);

    const stale = createVerificationCertificate({ code, issuer: ca, now: new Date(Date.now() - 10 * 86400_000), days: 2 });
    const expired = await register(ca, stale.certPem);
    expect(expired.status).toBe(422);
    expect(expired.json.error.message).toContain('is not valid now');

    const junk = await register(ca, 'not a certificate');
    expect([junk.status, junk.json.error.message]).toEqual([422, 'ca_certificate.verification_certificate_pem: is not a PEM-encoded X.509 certificate']);
    expect(h.store.caCertificates.list()).toEqual([]);

    // none of the refusals spent the code
    const ok = await register(ca, createVerificationCertificate({ code, issuer: ca }).certPem);
    expect(ok.status, JSON.stringify(ok.json)).toBe(201);
  });

  it('keeps the code when the CA itself is refused (already registered)', async () => {
    const ca = intermediate('release');
    expect((await register(ca, createVerificationCertificate({ code: await newCode(), issuer: ca }).certPem)).status).toBe(201);
    const code = await newCode();
    const dup = await register(ca, createVerificationCertificate({ code, issuer: ca }).certPem);
    expect([dup.status, dup.json.error.code]).toEqual([409, 'conflict']);
    const other = intermediate('daily-release');
    expect((await register(other, createVerificationCertificate({ code, issuer: other }).certPem)).status).toBe(201);
  });

  it.skipIf(!haveTools('openssl'))('accepts a verification certificate made with openssl as the EVK does, not one from a same-named impostor CA', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vfleet-ca-verify-'));
    try {
      const ca = intermediate('release');
      const f = (name: string, text?: string) => {
        const path = join(dir, name);
        if (text !== undefined) writeFileSync(path, text);
        return path;
      };
      const code = await newCode();
      run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f('v.key')]);
      run('openssl', ['req', '-new', '-key', f('v.key'), '-subj', `/CN=${code}`, '-out', f('v.csr')]);
      // the impostor has the CA's exact name, and its certificate names no key identifier: only the signature tells them apart
      run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f('imp.key')]);
      run('openssl', ['req', '-x509', '-key', f('imp.key'), '-subj', '/CN=Intermediate CA edge-inference release', '-days', '2', '-addext', 'basicConstraints=critical,CA:TRUE', '-out', f('imp.pem')]);
      const noIds = f('ext', 'basicConstraints=CA:FALSE\nauthorityKeyIdentifier=none\nsubjectKeyIdentifier=none\n');
      run('openssl', ['x509', '-req', '-in', f('v.csr'), '-CA', f('imp.pem'), '-CAkey', f('imp.key'), '-CAcreateserial', '-days', '1', '-extfile', noIds, '-out', f('forged.pem')]);
      const forged = await register(ca, run('openssl', ['x509', '-in', f('forged.pem')]));
      expect(forged.status).toBe(422);
      expect(forged.json.error.message).toContain('is not signed by the CA being registered');

      run('openssl', ['x509', '-req', '-in', f('v.csr'), '-CA', f('ca.pem', ca.certPem), '-CAkey', f('ca.key', ca.keyPem), '-CAcreateserial', '-days', '1', '-sha256', '-out', f('v.pem')]);
      const ok = await register(ca, run('openssl', ['x509', '-in', f('v.pem')]));
      expect(ok.status, JSON.stringify(ok.json)).toBe(201);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a code past its expiry', () => {
    let now = new Date('2026-03-01T00:00:00Z');
    const t = tempStore({ now: () => now });
    try {
      const ca = intermediate('release');
      const { verification_code: code, expires_at: expires } = t.store.caVerificationCodes.create();
      expect(expires).toBe('2026-03-02T00:00:00.000Z');
      // the certificate itself is valid throughout; only the code runs out
      const proof = createVerificationCertificate({ code, issuer: ca, now: new Date('2026-03-01T00:00:00Z'), days: 30 }).certPem;
      now = new Date('2026-03-02T00:00:01Z');
      let error: unknown;
      try {
        t.store.caCertificates.register({ certificate_pem: ca.certPem, verification_certificate_pem: proof });
      } catch (e) {
        error = e;
      }
      expect(isStoreError(error) && error.message).toBe(
        `ca_certificate.verification_certificate_pem: verification code ${code} expired at 2026-03-02T00:00:00.000Z; create a new one (POST /api/v1/ca-certificates/verification-codes) and sign a certificate with CN=<code> by the CA`,
      );
      expect(t.store.caCertificates.list()).toEqual([]);
    } finally {
      t.cleanup();
    }
  });
});
