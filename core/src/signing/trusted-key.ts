// peridio.json `trusted_signing_keys` entries: base64 of the raw key (EVK, Peridio "value") or SPKI PEM.
import { VfleetError } from '../errors.js';
import { decodePem } from '../pki/pem.js';
import { ED25519_KEY_BYTES, rawKeyOfSpki } from './ed25519-key.js';

const ACCEPTED = 'base64 of a raw 32-byte Ed25519 key, or an Ed25519 "BEGIN PUBLIC KEY" PEM';

/** Returns the raw 32-byte key; `where` names the entry in errors (e.g. `peridio.json trusted_signing_keys[0]`). */
export function parseTrustedKey(text: string, where: string): Buffer {
  const fail = (what: string): never => {
    throw new VfleetError('VFLEET_SIGNATURE_INVALID', `${where}: ${what}; expected ${ACCEPTED}`);
  };
  const trimmed = text.trim();
  if (trimmed.includes('-----BEGIN')) {
    const { der } = decodePem(trimmed, ['PUBLIC KEY'], where, 'VFLEET_SIGNATURE_INVALID');
    return rawKeyOfSpki(der) ?? fail(`the PEM public key is not an Ed25519 key (${der.length}-byte SubjectPublicKeyInfo)`);
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || trimmed.length % 4 !== 0) {
    return fail(trimmed === '' ? 'empty value' : `${JSON.stringify(trimmed.slice(0, 20))}… is not strict base64`);
  }
  const raw = Buffer.from(trimmed, 'base64');
  return raw.length === ED25519_KEY_BYTES ? raw : fail(`base64 decodes to ${raw.length} bytes, not ${ED25519_KEY_BYTES}`);
}
