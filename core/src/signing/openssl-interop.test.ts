// openssl as the oracle for Peridio binary signatures: Ed25519 over the lowercase-hex SHA-256.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { haveTools } from '../test-support/oracle.js';
import { sha256Hex, signBinary } from './sign-binary.js';
import { createSigningKeyPair } from './signing-key-pair.js';
import { parseTrustedKey } from './trusted-key.js';
import { verifyBinarySignature } from './verify-binary-signature.js';

let dir = '';
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfleet-signing-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const file = (name: string): string => path.join(dir, name);
const openssl = (...args: string[]) => spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });

describe.skipIf(!haveTools('openssl'))('openssl interop: Ed25519 binary signatures', () => {
  const pair = createSigningKeyPair();
  const content = Buffer.from('edge-inference-model v2.1.0 arm-ethos-u65\n'.repeat(100));
  const hexDigest = sha256Hex(content);

  beforeEach(() => {
    fs.writeFileSync(file('release-private-key.pem'), pair.privateKeyPem);
    fs.writeFileSync(file('release-public-key.pem'), pair.publicKeyPem);
    fs.writeFileSync(file('digest.txt'), hexDigest);
    fs.writeFileSync(file('binary.img'), content);
  });

  it('computes the same SHA-256 as openssl dgst', () => {
    expect(openssl('dgst', '-sha256', '-r', 'binary.img').stdout.split(' ')[0]).toBe(hexDigest);
  });

  it('verifies what openssl signs with the PKCS#8 key over the hex string, byte-identical to ours', () => {
    const r = openssl('pkeyutl', '-sign', '-rawin', '-inkey', 'release-private-key.pem', '-in', 'digest.txt', '-out', 'sig.bin');
    expect(r.status).toBe(0);
    const theirs = fs.readFileSync(file('sig.bin')).toString('hex').toUpperCase();
    expect(theirs).toHaveLength(128);
    const publicKey = parseTrustedKey(pair.publicKeyBase64Raw, 'k');
    expect(verifyBinarySignature(Buffer.from(hexDigest, 'hex'), theirs, publicKey)).toBe(true);
    // Ed25519 is deterministic, so the same key and message give the same signature.
    expect(signBinary(content, pair.privateKeyPem)).toBe(theirs);
  });

  it('produces signatures openssl verifies with the SPKI public key, and openssl rejects a wrong digest', () => {
    fs.writeFileSync(file('sig.bin'), Buffer.from(signBinary(content, pair.privateKeyPem), 'hex'));
    const verify = (message: string) =>
      openssl('pkeyutl', '-verify', '-rawin', '-pubin', '-inkey', 'release-public-key.pem', '-in', message, '-sigfile', 'sig.bin');
    const ok = verify('digest.txt');
    expect(ok.stdout.trim()).toBe('Signature Verified Successfully');
    fs.writeFileSync(file('other.txt'), sha256Hex(Buffer.from('other')));
    const bad = verify('other.txt');
    expect([bad.status, bad.stdout.trim()]).toEqual([1, 'Signature Verification Failure']);
  });

  it('gives the raw public key openssl finds in the SPKI PEM', () => {
    const der = spawnSync('openssl', ['pkey', '-pubin', '-in', file('release-public-key.pem'), '-outform', 'DER']).stdout;
    expect(der.subarray(-32).toString('base64')).toBe(pair.publicKeyBase64Raw);
    expect(openssl('pkey', '-in', 'release-private-key.pem', '-noout', '-text').stdout).toMatch(/^ED25519 Private-Key:/);
  });
});
