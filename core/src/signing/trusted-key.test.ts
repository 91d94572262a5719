import { describe, expect, it } from 'vitest';
import { publicKeyToPem } from './ed25519-key.js';
import { createSigningKeyPair } from './signing-key-pair.js';
import { parseTrustedKey } from './trusted-key.js';

// peridiod test fixtures: the trusted key as base64 raw, as SPKI PEM, and its 32 bytes.
const TRUSTED_BASE64 = 'R/D9tfoPRSJi+pd+S6MQqjPfjfyXm9OO65n+RyJ1gbk=';
const TRUSTED_PEM = '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAR/D9tfoPRSJi+pd+S6MQqjPfjfyXm9OO65n+RyJ1gbk=\n-----END PUBLIC KEY-----\n';
const TRUSTED_BYTES = [
  71, 240, 253, 181, 250, 15, 69, 34, 98, 250, 151, 126, 75, 163, 16, 170, 51, 223, 141, 252, 151, 155, 211, 142, 235, 153,
  254, 71, 34, 117, 129, 185,
];
const EC_PUBLIC_PEM = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE+JHXa48EGggL3IqDryMiXMtnh48h
g3baO365HBOfowKvhAt+mSJ67s3QV5/+PakzPmlRAHOKKS795aTAIUuwPA==
-----END PUBLIC KEY-----
`;

describe('parseTrustedKey', () => {
  it('reads base64 of the raw key and the SPKI PEM to the same 32 bytes', () => {
    expect([...parseTrustedKey(TRUSTED_BASE64, 'k')]).toEqual(TRUSTED_BYTES);
    expect([...parseTrustedKey(TRUSTED_PEM, 'k')]).toEqual(TRUSTED_BYTES);
    expect([...parseTrustedKey(`  ${TRUSTED_BASE64}\n`, 'k')]).toEqual(TRUSTED_BYTES);
  });

  it('rejects other encodings, naming the entry and what is accepted', () => {
    const where = 'peridio.json trusted_signing_keys[1]';
    expect(() => parseTrustedKey(EC_PUBLIC_PEM, where)).toThrow(
      `${where}: the PEM public key is not an Ed25519 key (91-byte SubjectPublicKeyInfo); expected base64 of a raw 32-byte Ed25519 key, or an Ed25519 "BEGIN PUBLIC KEY" PEM`,
    );
    expect(() => parseTrustedKey(Buffer.alloc(31).toString('base64'), where)).toThrow(
      `${where}: base64 decodes to 31 bytes, not 32`,
    );
    expect(() => parseTrustedKey('R/D9tfoPRSJi+pd+S6MQqjPfjfyXm9OO65n+RyJ1gbk', where)).toThrow('is not strict base64');
    expect(() => parseTrustedKey('', where)).toThrow(`${where}: empty value`);
    expect(() => parseTrustedKey('-----BEGIN PUBLIC KEY-----\nR/D9\n', where)).toThrow(
      `${where}: no "-----END PUBLIC KEY-----" line`,
    );
  });
});

describe('publicKeyToPem', () => {
  it('writes the SPKI PEM peridiod has for the same key', () => {
    expect(publicKeyToPem(Buffer.from(TRUSTED_BYTES))).toBe(TRUSTED_PEM);
  });

  it('refuses a key of the wrong length', () => {
    expect(() => publicKeyToPem(Buffer.alloc(33))).toThrow('public key: an Ed25519 public key is 32 bytes, got 33');
  });
});

describe('createSigningKeyPair', () => {
  it('returns PKCS#8 and SPKI PEMs and the base64 raw key of the same key', () => {
    const pair = createSigningKeyPair();
    expect(pair.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(pair.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(Buffer.from(pair.publicKeyBase64Raw, 'base64')).toHaveLength(32);
    expect(publicKeyToPem(parseTrustedKey(pair.publicKeyBase64Raw, 'k'))).toBe(pair.publicKeyPem);
    expect(createSigningKeyPair().publicKeyBase64Raw).not.toBe(pair.publicKeyBase64Raw);
  });
});
