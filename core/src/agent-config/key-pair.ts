import { path, reject, warn } from './codecs.js';
import type { Codec, Issues } from './codecs.js';
import type { KeyPairSource, NodeIdentity } from './types.js';

const name: Codec<string> = {
  type: 'string',
  decode: (raw, at, issues) => (typeof raw === 'string' && raw !== '' ? raw : reject(issues, at, 'a non-empty string', raw)),
};

/** The `node.key_pair_config` keys (protocol §2), each declared once with the sources that read it. */
export const KEY_PAIR_KEYS = [
  {
    key: 'certificate_path', sources: ['file', 'pkcs11'], codec: path,
    meaning: 'PEM certificate file (pkcs11: used when cert_id is not set).',
  },
  {
    key: 'private_key_path', sources: ['file'], codec: path,
    meaning: 'PEM private key file.',
  },
  {
    key: 'private_key', sources: ['env', 'uboot-env'], codec: name,
    meaning: 'Name of the env var (env) or KV variable (uboot-env) holding the key, base64 or raw PEM.',
  },
  {
    key: 'certificate', sources: ['env', 'uboot-env'], codec: name,
    meaning: 'Name of the env var (env) or KV variable (uboot-env) holding the certificate, base64 or raw PEM.',
  },
  {
    key: 'key_id', sources: ['pkcs11'], codec: name,
    meaning: 'PKCS#11 URI of the private key (required).',
  },
  {
    key: 'pkcs11_path', sources: ['pkcs11'], codec: path,
    meaning: 'OpenSSL pkcs11 engine .so; default: first existing libpkcs11.so under /usr/lib*/engines*.',
  },
  {
    key: 'cert_id', sources: ['pkcs11'], codec: name,
    meaning: 'PKCS#11 URI of the certificate, exported with p11tool --export-stapled.',
  },
] as const satisfies readonly { key: string; sources: readonly KeyPairSource[]; codec: Codec<string>; meaning: string }[];

type KeyPairKey = (typeof KEY_PAIR_KEYS)[number]['key'];

const REQUIRED: Record<KeyPairSource, string> = {
  file: 'certificate_path and private_key_path',
  env: 'private_key and certificate',
  'uboot-env': 'private_key and certificate',
  pkcs11: 'key_id and one of cert_id or certificate_path',
};

/**
 * Builds the typed identity for `source`. Missing settings are warnings, not errors: peridiod
 * loads such a file but then refuses to start ("identity not configured").
 */
export function resolveIdentity(source: KeyPairSource, config: Record<string, unknown> | null, issues: Issues): NodeIdentity | undefined {
  const at = ['node', 'key_pair_config'];
  const values = new Map<KeyPairKey, string | null>(KEY_PAIR_KEYS.map((k) => [k.key, null]));
  let ok = true;
  for (const [name, raw] of Object.entries(config ?? {})) {
    const spec = KEY_PAIR_KEYS.find((k) => k.key === name);
    if (spec === undefined) {
      warn(issues, [...at, name], `unknown key, ignored (key_pair_source "${source}" reads ${REQUIRED[source]})`);
    } else if (!(spec.sources as readonly string[]).includes(source)) {
      warn(issues, [...at, name], `only read when key_pair_source is ${spec.sources.map((s) => `"${s}"`).join(' or ')}; ignored for "${source}"`);
    } else if (raw !== null) {
      const value = spec.codec.decode(raw, [...at, name], issues);
      if (value === undefined) ok = false;
      else values.set(spec.key, value);
    }
  }
  if (!ok) return undefined;
  const get = (k: KeyPairKey): string | null => values.get(k) ?? null;
  const identity: NodeIdentity =
    source === 'file' ? { source, certificatePath: get('certificate_path'), privateKeyPath: get('private_key_path') }
    : source === 'pkcs11' ? { source, keyId: get('key_id'), pkcs11Path: get('pkcs11_path'), certId: get('cert_id'), certificatePath: get('certificate_path') }
    : { source, privateKey: get('private_key'), certificate: get('certificate') };
  const complete =
    identity.source === 'file' ? identity.certificatePath !== null && identity.privateKeyPath !== null
    : identity.source === 'pkcs11' ? identity.keyId !== null && (identity.certId !== null || identity.certificatePath !== null)
    : identity.privateKey !== null && identity.certificate !== null;
  if (!complete) {
    warn(issues, at, `key_pair_source "${source}" needs ${REQUIRED[source]}; without them peridiod does not start (identity not configured)`);
  }
  return identity;
}
