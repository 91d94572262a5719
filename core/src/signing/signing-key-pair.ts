// Ed25519 binary-signing key pairs as the EVK writes them (cohort signing keys).
import { generateKeyPairSync } from 'node:crypto';
import { rawKeyOfSpki } from './ed25519-key.js';

export interface SigningKeyPair {
  /** PKCS#8 "BEGIN PRIVATE KEY" PEM. */
  privateKeyPem: string;
  /** SPKI "BEGIN PUBLIC KEY" PEM. */
  publicKeyPem: string;
  /** Base64 of the raw 32-byte public key: the Peridio signing-key "value" and a `trusted_signing_keys` entry. */
  publicKeyBase64Raw: string;
}

export function createSigningKeyPair(): SigningKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = rawKeyOfSpki(publicKey.export({ type: 'spki', format: 'der' })) as Buffer;
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    publicKeyBase64Raw: raw.toString('base64'),
  };
}
