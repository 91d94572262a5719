// peridiod's Peridiod.Certificate.ParseError texts, word for word, as VfleetErrors.
import { VfleetError } from '@vfleet/core';

export type IdentityField = 'certificate' | 'private_key';
export type IdentitySource = 'file' | 'env' | 'uboot-env' | 'pkcs11';

const WHERE: Record<IdentitySource, string> = { env: 'env var', file: 'file', 'uboot-env': 'KV key', pkcs11: '' };

const HINT: Record<IdentitySource, string> = {
  file: 'Verify the PEM file exists and is readable.',
  env: 'Verify the env var value is a valid PEM.',
  'uboot-env': 'Verify the KV entry contains a valid PEM value.',
  pkcs11: 'Verify p11tool can access the HSM and the cert ID or certificate path is correct.',
};

/** `reason` is Elixir's inspect of the failure: `:not_found`, `:malformed`, `{:file_read_error, :enoent}`. */
export function identityParseError(field: IdentityField, source: IdentitySource, path: string, reason: string, cause?: unknown): VfleetError {
  const where = WHERE[source] === '' ? path : `${WHERE[source]}: ${path}`;
  const message = `Failed to parse ${field} from ${source} (${where}): ${reason}.\nperidiod cannot start with an invalid identity.\n${HINT[source]}`;
  return new VfleetError('VFLEET_CONFIG_INVALID', message, cause === undefined ? {} : { cause });
}

export function identityNotConfigured(field: IdentityField, source: IdentitySource): VfleetError {
  return new VfleetError(
    'VFLEET_CONFIG_INVALID',
    `Identity not configured for ${field} with key_pair_source=${source}: :identity_not_configured.\n` +
      'peridiod cannot start with an invalid identity.\n' +
      'Check node.key_pair_source and node.key_pair_config in peridio-config.json.',
  );
}
