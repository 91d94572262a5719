import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { VfleetError } from '@vfleet/core';

/** Signs cache files with the device key (protocol §5.8): the message is the ASCII lowercase-hex SHA-256. */
export interface DeviceSigner {
  /** Uppercase hex signature of `sha256Hex`. */
  sign(sha256Hex: string): string;
  verify(sha256Hex: string, signatureHex: string): boolean;
}

// Ed25519/Ed448 keys sign the message itself; EC and RSA keys hash it with SHA-256 first.
const digestFor = (key: KeyObject): string | null =>
  key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448' ? null : 'sha256';

/**
 * The key as the identity check parsed it, or PEM parsed on first use (the identity check has already
 * proved it readable): agents start cheaper.
 */
export function createDeviceSigner(key: string | KeyObject): DeviceSigner {
  let keys: { privateKey: KeyObject; publicKey: KeyObject; digest: string | null } | undefined;
  const load = () => {
    if (keys === undefined) {
      let privateKey: KeyObject;
      try {
        privateKey = typeof key === 'string' ? createPrivateKey(key) : key;
      } catch (cause) {
        throw new VfleetError('VFLEET_PKI_INVALID', 'device private key: not a readable PEM private key (needed to sign cache files)', { cause });
      }
      keys = { privateKey, publicKey: createPublicKey(privateKey), digest: digestFor(privateKey) };
    }
    return keys;
  };
  return {
    sign: (sha256Hex) => {
      const { privateKey, digest } = load();
      return sign(digest, Buffer.from(sha256Hex, 'ascii'), privateKey).toString('hex').toUpperCase();
    },
    verify: (sha256Hex, signatureHex) => {
      const text = signatureHex.trim();
      if (!/^[0-9a-fA-F]+$/.test(text) || text.length % 2 !== 0) return false;
      const { publicKey, digest } = load();
      try {
        return verify(digest, Buffer.from(sha256Hex, 'ascii'), publicKey, Buffer.from(text, 'hex'));
      } catch {
        return false;
      }
    },
  };
}
