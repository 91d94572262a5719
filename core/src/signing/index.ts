export { sha256Hex, signBinary } from './sign-binary.js';
export { verifyBinarySignature } from './verify-binary-signature.js';
export { createSigningKeyPair, type SigningKeyPair } from './signing-key-pair.js';
export { parseTrustedKey } from './trusted-key.js';
export { publicKeyToPem } from './ed25519-key.js';
