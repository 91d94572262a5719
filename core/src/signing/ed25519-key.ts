// Ed25519 public keys in the two encodings Peridio uses: raw 32 bytes (base64) and SPKI PEM.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { VfleetError } from '../errors.js';
import { bitString, objectIdentifier, sequence } from '../pki/der-write.js';
import { OID } from '../pki/oids.js';
import { encodePem } from '../pki/pem.js';

export const ED25519_KEY_BYTES = 32;
const SPKI_PREFIX = sequence(sequence(objectIdentifier(OID.ed25519)), bitString(Buffer.alloc(32))).subarray(0, -32);

export function rawKeyToSpki(raw: Uint8Array, where: string): Buffer {
  if (raw.length !== ED25519_KEY_BYTES) {
    throw new VfleetError(
      'VFLEET_SIGNATURE_INVALID',
      `${where}: an Ed25519 public key is ${ED25519_KEY_BYTES} bytes, got ${raw.length}`,
    );
  }
  return Buffer.concat([SPKI_PREFIX, raw]);
}

/** The raw key when `spki` is an Ed25519 SubjectPublicKeyInfo, otherwise undefined. */
export function rawKeyOfSpki(spki: Buffer): Buffer | undefined {
  const isEd25519 =
    spki.length === SPKI_PREFIX.length + ED25519_KEY_BYTES && spki.subarray(0, SPKI_PREFIX.length).equals(SPKI_PREFIX);
  return isEd25519 ? spki.subarray(SPKI_PREFIX.length) : undefined;
}

export const publicKeyObject = (raw: Uint8Array, where = 'public key'): KeyObject =>
  createPublicKey({ key: rawKeyToSpki(raw, where), format: 'der', type: 'spki' });

/** SPKI PEM ("BEGIN PUBLIC KEY") of a raw 32-byte Ed25519 public key. */
export const publicKeyToPem = (raw: Uint8Array): string => encodePem('PUBLIC KEY', rawKeyToSpki(raw, 'public key'));
