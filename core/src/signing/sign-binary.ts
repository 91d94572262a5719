// Peridio binary signatures (§5.4): Ed25519 over the ASCII lowercase-hex SHA-256, as `sign.py` and the CLI do.
import { createPrivateKey, hash, sign, type KeyObject } from 'node:crypto';
import { VfleetError } from '../errors.js';

export const sha256Hex = (bytes: Uint8Array): string => hash('sha256', bytes, 'hex');

const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

/**
 * `contentOrSha256Hex`: the binary's bytes, or its SHA-256 as 64 hex characters (any case).
 * Returns the signature as 128 uppercase hex characters.
 */
export function signBinary(contentOrSha256Hex: Uint8Array | string, privateKey: string | KeyObject): string {
  let digestHex: string;
  if (typeof contentOrSha256Hex === 'string') {
    if (!SHA256_HEX.test(contentOrSha256Hex)) {
      throw new VfleetError(
        'VFLEET_SIGNATURE_INVALID',
        `signBinary: expected the SHA-256 as 64 hex characters, got ${contentOrSha256Hex.length} characters`,
      );
    }
    digestHex = contentOrSha256Hex.toLowerCase();
  } else {
    digestHex = sha256Hex(contentOrSha256Hex);
  }
  return sign(null, Buffer.from(digestHex, 'ascii'), signingKey(privateKey)).toString('hex').toUpperCase();
}

function signingKey(key: string | KeyObject): KeyObject {
  let object: KeyObject;
  try {
    object = typeof key === 'string' ? createPrivateKey(key) : key;
  } catch (cause) {
    throw new VfleetError('VFLEET_SIGNATURE_INVALID', 'signing private key: not a readable PEM private key', { cause });
  }
  if (object.type !== 'private' || object.asymmetricKeyType !== 'ed25519') {
    throw new VfleetError(
      'VFLEET_SIGNATURE_INVALID',
      `signing private key: expected an Ed25519 private key, got ${object.type} ${object.asymmetricKeyType ?? 'key'}`,
    );
  }
  return object;
}
