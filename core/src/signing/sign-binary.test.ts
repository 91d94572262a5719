import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseTrustedKey } from './trusted-key.js';
import { sha256Hex, signBinary } from './sign-binary.js';
import { createSigningKeyPair } from './signing-key-pair.js';
import { verifyBinarySignature } from './verify-binary-signature.js';

// peridiod test/support/test_fixtures.ex: 1M.bin and fwup.fw signed by the trusted key; an untrusted-binary signature.
const TRUSTED = 'R/D9tfoPRSJi+pd+S6MQqjPfjfyXm9OO65n+RyJ1gbk=';
const UNTRUSTED_PEM = '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEATutyLjdRGvOWkjwJX3W3dpYkZNCsOCiFtAWocRtBIM0=\n-----END PUBLIC KEY-----\n';
const ONE_M = 'a073ad730e540107fbb92ee48baab97c9bc16105333a42b15a53bcc183f6f5c2';
const ONE_M_SIG =
  'BF59EA4EC4705DA63F56F7A59D72FDB755DF8391EC49399BE6B3F773AF92E925B0C0859D7589933B3A1C896AF3114718E035C1B8A17E6F6AB37106011B58E703';
const FWUP = '8bb7566846ae03b99e55b72d022d0f899404af8a22a335b4be8789cb997f0ea2';
const FWUP_SIG =
  '497520EF9CC34B5D94072C1D19B9DE6EC754A13A995673A0B11892D87415A7BB8B659D7CD57D23E503D4D611999A9EA654CE03302F81B9A411B78C3D78416E05';
const ONE_M_UNTRUSTED_SIG =
  '9458E638946B359D35D7F01FD5F93C354F97F7148A6368961CA6212AE35F2804280503618FB0F4E3CF00CDB10597C193D7DF7BC875909C21FFB8D35E23CA6F09';

const digest = (h: string): Buffer => Buffer.from(h, 'hex');

describe('sha256Hex', () => {
  it('is the lowercase hex SHA-256', () => {
    expect(sha256Hex(Buffer.from('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('verifyBinarySignature with peridiod fixtures', () => {
  const trusted = parseTrustedKey(TRUSTED, 'trusted_signing_keys[0]');
  const untrusted = parseTrustedKey(UNTRUSTED_PEM, 'untrusted');

  it('accepts the fixture signatures (made over the hex string) with the trusted key', () => {
    expect(verifyBinarySignature(digest(ONE_M), ONE_M_SIG, trusted)).toBe(true);
    expect(verifyBinarySignature(digest(FWUP), FWUP_SIG.toLowerCase(), trusted)).toBe(true);
  });

  it('rejects a signature by another key, and a signature for another binary', () => {
    expect(verifyBinarySignature(digest(ONE_M), ONE_M_UNTRUSTED_SIG, trusted)).toBe(false);
    expect(verifyBinarySignature(digest(ONE_M), ONE_M_SIG, untrusted)).toBe(false);
    expect(verifyBinarySignature(digest(FWUP), ONE_M_SIG, trusted)).toBe(false);
  });

  it('rejects malformed input with what was expected', () => {
    expect(() => verifyBinarySignature(digest(ONE_M).subarray(1), ONE_M_SIG, trusted)).toThrow(
      'binary hash: expected 32 SHA-256 bytes, got 31',
    );
    expect(() => verifyBinarySignature(digest(ONE_M), 'ABCD', trusted)).toThrow(
      'binary signature: expected 128 hex characters (a 64-byte Ed25519 signature), got 4 characters',
    );
  });
});

describe('signBinary', () => {
  const pair = createSigningKeyPair();
  const publicKey = parseTrustedKey(pair.publicKeyBase64Raw, 'pair');
  const content = Buffer.from('edge-inference-service v2.0.0 arm64-v8');

  it('signs the lowercase hex digest and returns 128 uppercase hex characters', () => {
    const signature = signBinary(content, pair.privateKeyPem);
    expect(signature).toMatch(/^[0-9A-F]{128}$/);
    const overHex = sign(null, Buffer.from(sha256Hex(content)), createPrivateKey(pair.privateKeyPem));
    expect(signature).toBe(overHex.toString('hex').toUpperCase());
    expect(signBinary(sha256Hex(content).toUpperCase(), pair.privateKeyPem)).toBe(signature);
  });

  it('round-trips, and fails for tampered content or the wrong key', () => {
    const signature = signBinary(content, pair.privateKeyPem);
    expect(verifyBinarySignature(digest(sha256Hex(content)), signature, publicKey)).toBe(true);
    const tampered = Buffer.from(content);
    tampered[0] = (tampered[0] as number) ^ 1;
    expect(verifyBinarySignature(digest(sha256Hex(tampered)), signature, publicKey)).toBe(false);
    const other = parseTrustedKey(createSigningKeyPair().publicKeyBase64Raw, 'other');
    expect(verifyBinarySignature(digest(sha256Hex(content)), signature, other)).toBe(false);
  });

  it('also accepts a signature over the raw 32-byte digest', () => {
    const raw = digest(sha256Hex(content));
    const signature = sign(null, raw, createPrivateKey(pair.privateKeyPem)).toString('hex');
    expect(verifyBinarySignature(raw, signature, publicKey)).toBe(true);
  });

  it('refuses a non-hex digest string and a non-Ed25519 key', () => {
    expect(() => signBinary('not-a-digest', pair.privateKeyPem)).toThrow(
      'signBinary: expected the SHA-256 as 64 hex characters, got 12 characters',
    );
    expect(() => signBinary(content, pair.publicKeyPem)).toThrow('signing private key: not a readable PEM private key');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect(() => signBinary(content, ec)).toThrow('signing private key: expected an Ed25519 private key, got private ec');
  });
});
