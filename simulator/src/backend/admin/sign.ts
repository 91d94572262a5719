import { signBinary } from '@vfleet/core';

/**
 * Peridio's binary signature (protocol §5.4): Ed25519 over the ASCII lowercase hex SHA-256,
 * returned as uppercase hex.
 */
export function signSha256Hex(privateKeyPem: string, sha256Hex: string): string {
  return signBinary(sha256Hex, privateKeyPem);
}
