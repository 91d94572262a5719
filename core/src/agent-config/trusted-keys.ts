import { createPublicKey } from 'node:crypto';
import { reject, warn } from './codecs.js';
import type { Codec } from './codecs.js';

const PEM_HEADER = '-----BEGIN PUBLIC KEY-----';
// Elixir's Base.decode64/1: standard alphabet, padding required, no whitespace.
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * `trusted_signing_keys`: base64 of a raw 32-byte Ed25519 key, or an SPKI PEM. Like peridiod,
 * undecodable entries are dropped with a warning; a PEM holding a non-Ed25519 key crashes
 * peridiod at startup, so it is an error here.
 */
export const trustedSigningKeys: Codec<string[]> = {
  type: 'string[] (base64 raw Ed25519 key or SPKI PEM)',
  decode(raw, at, issues) {
    if (!Array.isArray(raw)) return reject(issues, at, 'an array of keys', raw);
    const keys: string[] = [];
    let ok = true;
    raw.forEach((entry, i) => {
      const here = [...at, i];
      if (typeof entry !== 'string') {
        ok = reject(issues, here, 'a base64 or PEM key string', entry) ?? false;
        return;
      }
      if (entry.startsWith(PEM_HEADER)) {
        let type: string | undefined;
        try {
          type = createPublicKey(entry).asymmetricKeyType;
        } catch {
          warn(issues, here, 'PEM public key could not be decoded; peridiod logs and drops it');
          return;
        }
        if (type !== 'ed25519') {
          ok = reject(issues, here, 'an Ed25519 public key', entry, ` (a ${type ?? 'unknown'} key; peridiod crashes on it)`) ?? false;
          return;
        }
      } else if (!STRICT_BASE64.test(entry)) {
        warn(issues, here, 'not padded standard base64 nor a PEM starting with "-----BEGIN PUBLIC KEY-----"; peridiod logs and drops it');
        return;
      } else if (Buffer.from(entry, 'base64').length !== 32) {
        warn(issues, here, `decodes to ${Buffer.from(entry, 'base64').length} bytes, not a 32-byte Ed25519 key; it can never match a signature, dropped`);
        return;
      }
      keys.push(entry);
    });
    return ok ? keys : undefined;
  },
};
