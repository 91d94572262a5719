// fwup's Ed25519 keys: fwup-key.pub is base64 of the 32-byte public key, fwup-key.priv base64 of
// 64 bytes (32-byte seed then the public key), as `fwup -g` writes them; raw bytes are accepted too.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { fwupError } from './fwup-error.js';

export const FWUP_PUBLIC_KEY_BYTES = 32;
export const FWUP_PRIVATE_KEY_BYTES = 64;
export const FWUP_SIGNATURE_BYTES = 64;

/** A decoded fwup-key.priv: the seed and the public key stored after it. */
export interface FwupPrivateKey {
  seed: Buffer;
  publicKey: Buffer;
}

function decodeKey(input: string | Uint8Array, bytes: number, kind: string, where: string): Buffer {
  if (typeof input !== 'string' && input.length === bytes) return Buffer.from(input);
  const text = (typeof input === 'string' ? input : Buffer.from(input).toString('latin1')).trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length === 0) {
    throw fwupError('usage', where, `not an fwup ${kind} key: expected base64 of ${bytes} bytes (as fwup -g writes) or the raw ${bytes} bytes`);
  }
  const raw = Buffer.from(text, 'base64');
  if (raw.length !== bytes) {
    throw fwupError('usage', where, `not an fwup ${kind} key: base64 decodes to ${raw.length} bytes, expected ${bytes}`);
  }
  return raw;
}

/** Parses a public key in fwup's format (fwup-key.pub, or a `fwup.public_keys` entry). */
export function parseFwupPublicKey(input: string | Uint8Array, where = 'fwup public key'): Buffer {
  return decodeKey(input, FWUP_PUBLIC_KEY_BYTES, 'public', where);
}

const b64url = (bytes: Buffer): string => bytes.toString('base64url');

function privateKeyObject(key: FwupPrivateKey): KeyObject {
  return createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64url(key.seed), x: b64url(key.publicKey) }, format: 'jwk' });
}

function publicKeyObject(raw: Buffer): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(raw) }, format: 'jwk' });
}

/** Parses fwup-key.priv and checks that its stored public half belongs to its seed. */
export function parseFwupPrivateKey(input: string | Uint8Array, where = 'fwup private key'): FwupPrivateKey {
  const raw = decodeKey(input, FWUP_PRIVATE_KEY_BYTES, 'private', where);
  const key = { seed: raw.subarray(0, 32), publicKey: raw.subarray(32) };
  const derived = createPublicKey(privateKeyObject(key)).export({ format: 'jwk' }).x;
  if (derived !== b64url(key.publicKey)) {
    throw fwupError('usage', where, 'the public key stored in bytes 32..63 does not belong to the seed in bytes 0..31');
  }
  return key;
}

/** Ed25519 signature of meta.conf, the content of meta.conf.ed25519. */
export function signFwupMetaConf(metaConf: Uint8Array, key: FwupPrivateKey): Buffer {
  return sign(null, metaConf, privateKeyObject(key));
}

/** True when `signature` over meta.conf verifies with any of `publicKeys` (fwup tries each in turn). */
export function verifyFwupMetaConf(metaConf: Uint8Array, signature: Uint8Array, publicKeys: readonly Buffer[]): boolean {
  if (signature.length !== FWUP_SIGNATURE_BYTES) return false;
  return publicKeys.some((key) => verify(null, metaConf, publicKeyObject(key), signature));
}

/** A fresh key pair in fwup's file formats, like `fwup -g`. */
export function createFwupKeyPair(): { publicKey: string; privateKey: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const pub = Buffer.from(jwk.x as string, 'base64url');
  const seed = Buffer.from(jwk.d as string, 'base64url');
  return { publicKey: pub.toString('base64'), privateKey: Buffer.concat([seed, pub]).toString('base64') };
}
