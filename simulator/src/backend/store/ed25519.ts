import { createPrivateKey, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { StoreError } from './errors.js';

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Base64 of the raw 32-byte public key, or a StoreError naming `field`. */
export function rawPublicValue(value: string, field: string): string {
  const raw = Buffer.from(value, 'base64');
  if (raw.length !== 32 || raw.toString('base64') !== value) {
    throw new StoreError('invalid', field, `expected base64 of a raw 32-byte Ed25519 public key (44 characters), got ${raw.length} bytes`);
  }
  return value;
}

export function publicValueOfPrivate(pem: string, field: string): string {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (cause) {
    throw new StoreError('invalid', field, 'is not a readable PEM private key', { cause });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new StoreError('invalid', field, `expected an Ed25519 private key, got ${key.asymmetricKeyType ?? 'unknown'}`);
  }
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return spki.subarray(SPKI_ED25519_PREFIX.length).toString('base64');
}

/** Does `signatureHex` sign the ASCII lowercase hex SHA-256 (Peridio's message) with this key? */
export function verifiesOverHash(publicValue: string, sha256Hex: string, signatureHex: string): boolean {
  const key = createPublicKey({
    key: Buffer.concat([SPKI_ED25519_PREFIX, Buffer.from(publicValue, 'base64')]),
    format: 'der',
    type: 'spki',
  });
  return verify(null, Buffer.from(sha256Hex.toLowerCase(), 'ascii'), key, Buffer.from(signatureHex, 'hex'));
}
