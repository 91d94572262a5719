import { describe, expect, it } from 'vitest';
import { createFwupKeyPair, parseFwupPrivateKey, parseFwupPublicKey, signFwupMetaConf, verifyFwupMetaConf } from './keys.js';
import { readVector, vectorText } from './test-vectors.js';
import { listZipEntries, readZipEntry } from './zip-read.js';

const signed = readVector('ab-upgrade-signed.fw');
const entries = listZipEntries(signed, 'signed');
const entry = (name: string): Buffer => readZipEntry(signed, entries.find((e) => e.name === name)!, 'signed');

describe("fwup's Ed25519 keys", () => {
  const pub = parseFwupPublicKey(vectorText('fwup-key.pub'));
  const priv = parseFwupPrivateKey(vectorText('fwup-key.priv'));

  it('reads fwup-key.pub/.priv; the private file carries the public key after the seed', () => {
    expect(pub).toHaveLength(32);
    expect(priv.publicKey.equals(pub)).toBe(true);
  });

  it("signs meta.conf to exactly the meta.conf.ed25519 fwup wrote, and verifies fwup's signature", () => {
    const metaConf = entry('meta.conf');
    expect(signFwupMetaConf(metaConf, priv).equals(entry('meta.conf.ed25519'))).toBe(true);
    expect(verifyFwupMetaConf(metaConf, entry('meta.conf.ed25519'), [pub])).toBe(true);
  });

  it('fails verification for another key, a changed meta.conf or a short signature; any listed key may match', () => {
    const metaConf = entry('meta.conf');
    const sig = entry('meta.conf.ed25519');
    const other = parseFwupPublicKey(createFwupKeyPair().publicKey);
    expect(verifyFwupMetaConf(metaConf, sig, [other])).toBe(false);
    expect(verifyFwupMetaConf(Buffer.concat([metaConf, Buffer.from(' ')]), sig, [pub])).toBe(false);
    expect(verifyFwupMetaConf(metaConf, sig.subarray(0, 63), [pub])).toBe(false);
    expect(verifyFwupMetaConf(metaConf, sig, [other, pub])).toBe(true);
  });

  it('accepts raw key bytes and rejects wrong lengths, bad base64 and a mismatched private file', () => {
    expect(parseFwupPublicKey(pub).equals(pub)).toBe(true);
    expect(() => parseFwupPublicKey('abc!')).toThrow(/not an fwup public key: expected base64 of 32 bytes/);
    expect(() => parseFwupPublicKey(Buffer.alloc(16).toString('base64'), 'fwup.public_keys[0]')).toThrow(/^fwup\.public_keys\[0\]: .*decodes to 16 bytes, expected 32/);
    const spliced = Buffer.concat([Buffer.from(vectorText('fwup-key.priv'), 'base64').subarray(0, 32), Buffer.alloc(32, 7)]);
    expect(() => parseFwupPrivateKey(spliced.toString('base64'))).toThrow(/does not belong to the seed/);
  });

  it('creates key pairs in the same formats that sign and verify', () => {
    const pair = createFwupKeyPair();
    const key = parseFwupPrivateKey(pair.privateKey);
    const sig = signFwupMetaConf(Buffer.from('meta-product=x\n'), key);
    expect(verifyFwupMetaConf(Buffer.from('meta-product=x\n'), sig, [parseFwupPublicKey(pair.publicKey)])).toBe(true);
  });
});
