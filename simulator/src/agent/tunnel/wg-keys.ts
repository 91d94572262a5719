// WireGuard keys (what `wg genkey | wg pubkey` prints), made in-process: base64 of raw Curve25519 keys.
import { generateKeyPairSync, randomBytes } from 'node:crypto';

export interface WgKeyPair {
  privateKey: string;
  publicKey: string;
}

export function wgKeyPair(): WgKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  // PKCS#8 and SPKI DER of X25519 end with the raw 32-byte key
  return {
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32).toString('base64'),
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64'),
  };
}

export const WG_KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** peridio-rat's interface name: `peridio-` and base32 (no padding) of 4 random bytes. */
export function tunnelInterfaceName(bytes: Buffer = randomBytes(4)): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = ((value << 8) | b) & 0xfff; // at most 12 pending bits
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return `peridio-${out}`;
}
