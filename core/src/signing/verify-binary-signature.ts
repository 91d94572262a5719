// Checks a Peridio binary signature the way peridiod does: raw digest first, then its lowercase hex string.
import { verify, type KeyObject } from 'node:crypto';
import { VfleetError } from '../errors.js';
import { publicKeyObject } from './ed25519-key.js';

const SIGNATURE_HEX = /^[0-9a-fA-F]{128}$/;

/**
 * `sha256`: the 32-byte digest; `signatureHex`: 128 hex characters, any case; `publicKey`: raw 32 bytes
 * (see parseTrustedKey) or a KeyObject. Returns whether either message form verifies.
 */
export function verifyBinarySignature(
  sha256: Uint8Array,
  signatureHex: string,
  publicKey: Uint8Array | KeyObject,
): boolean {
  if (sha256.length !== 32) {
    throw new VfleetError('VFLEET_SIGNATURE_INVALID', `binary hash: expected 32 SHA-256 bytes, got ${sha256.length}`);
  }
  if (!SIGNATURE_HEX.test(signatureHex)) {
    throw new VfleetError(
      'VFLEET_SIGNATURE_INVALID',
      `binary signature: expected 128 hex characters (a 64-byte Ed25519 signature), got ${signatureHex.length} characters`,
    );
  }
  const key = publicKey instanceof Uint8Array ? publicKeyObject(publicKey, 'signing public key') : publicKey;
  if (key.asymmetricKeyType !== 'ed25519') {
    const got = key.asymmetricKeyType ?? 'unknown';
    throw new VfleetError('VFLEET_SIGNATURE_INVALID', `signing public key: expected Ed25519, got ${got}`);
  }
  const signature = Buffer.from(signatureHex, 'hex');
  const hexMessage = Buffer.from(Buffer.from(sha256).toString('hex'), 'ascii');
  return verify(null, sha256, key, signature) || verify(null, hexMessage, key, signature);
}
