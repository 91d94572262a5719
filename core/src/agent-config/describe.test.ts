import { describe, it, expect } from 'vitest';
import { defaultAgentConfig, describeConfigKeys, parseAgentConfig } from './index.js';

// Every key of protocol §1.2 and §1.3 (objects expanded to their keys) and of §2's key_pair_config shapes.
const PROTOCOL_KEYS = [
  'version', 'cache_dir', 'cache_encryption_enabled', 'cache_log_enabled', 'cache_log_max_bytes', 'cache_log_max_files',
  'cache_log_compress', 'cache_log_level', 'device_api.url', 'device_api.certificate_path', 'device_api.verify',
  'fwup.devpath', 'fwup.public_keys', 'fwup.extra_args', 'fwup.env', 'fwup.stream_chunk_bytes',
  'distributions.cache_download', 'distributions.download_parallel_count', 'distributions.download_parallel_chunk_bytes',
  'reboot_delay', 'reboot_cmd', 'reboot_opts', 'reboot_sync_cmd', 'reboot_sync_opts', 'remote_shell', 'remote_iex',
  'remote_access_tunnels.enabled', 'remote_access_tunnels.service_ports', 'remote_access_tunnels.persistent_keepalive',
  'remote_access_tunnels.data_dir', 'remote_access_tunnels.port_range', 'remote_access_tunnels.ipv4_cidrs',
  'remote_access_tunnels.routing_table', 'remote_access_tunnels.hooks.pre_up', 'remote_access_tunnels.hooks.post_up',
  'remote_access_tunnels.hooks.pre_down', 'remote_access_tunnels.hooks.post_down', 'network_monitor.interface_priority',
  'node.key_pair_source', 'node.key_pair_config', 'socket_enabled?', 'targets', 'trusted_signing_keys',
  'trusted_signing_key_threshold', 'trusted_signing_key_dir', 'release_poll_enabled', 'update_poll_enabled',
  'release_poll_interval', 'update_poll_interval', 'update_resume_max_boot_count',
  'node.key_pair_config.certificate_path', 'node.key_pair_config.private_key_path', 'node.key_pair_config.private_key',
  'node.key_pair_config.certificate', 'node.key_pair_config.key_id', 'node.key_pair_config.pkcs11_path',
  'node.key_pair_config.cert_id',
];

function nest(dotted: string, value: unknown): Record<string, unknown> {
  return dotted.split('.').reduceRight<Record<string, unknown>>((inner, k) => ({ [k]: inner }), value as Record<string, unknown>);
}

describe('describeConfigKeys', () => {
  it('lists every protocol key exactly once', () => {
    const keys = describeConfigKeys().map((d) => d.key);
    expect([...keys].sort()).toEqual([...PROTOCOL_KEYS].sort());
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('gives type, default, meaning and JSON path for each', () => {
    const docs = new Map(describeConfigKeys().map((d) => [d.key, d]));
    expect(docs.get('update_poll_interval')).toEqual({
      key: 'update_poll_interval', jsonPath: '$.update_poll_interval', type: 'int', default: '300000',
      meaning: 'Poll period in milliseconds (docs say 30 min; code says 5).',
    });
    expect(docs.get('socket_enabled?')?.jsonPath).toBe("$['socket_enabled?']");
    expect(docs.get('remote_access_tunnels.port_range')).toMatchObject({ type: '"start-end"', default: '"49152-65535"' });
    expect(docs.get('targets')?.default).toBe('["portable"]');
    expect(docs.get('remote_access_tunnels.hooks.pre_up')?.default).toBe('<priv>/pre-up.sh (null)');
    expect(docs.get('node.key_pair_config.key_id')?.meaning).toMatch(/^\[pkcs11\] /);
    for (const doc of docs.values()) expect(doc.meaning.length).toBeGreaterThan(5);
  });

  it('agrees with the parser: every documented key is known to it', () => {
    const mainKeys = describeConfigKeys().map((d) => d.key).filter((k) => !k.startsWith('node.key_pair_config.'));
    for (const key of mainKeys) {
      const result = parseAgentConfig(nest(key, null), 'x');
      expect(result.ok && result.warnings.every((w) => !w.message.startsWith('unknown key'))).toBe(true);
    }
  });

  it('agrees with the parser: a documented JSON default parses to the default config', () => {
    const defaults = defaultAgentConfig();
    let checked = 0;
    for (const doc of describeConfigKeys()) {
      if (doc.key.startsWith('node.key_pair_config.') || doc.default === 'null') continue;
      let value: unknown;
      try {
        value = JSON.parse(doc.default);
      } catch {
        continue;
      }
      const result = parseAgentConfig(nest(doc.key, value), 'x');
      expect(result.ok && result.config).toEqual(defaults);
      checked++;
    }
    expect(checked).toBeGreaterThan(35);
  });
});
