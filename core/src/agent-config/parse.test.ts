import { generateKeyPairSync } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import { defaultAgentConfig, parseAgentConfig } from './index.js';
import type { AgentConfig, AgentConfigResult, ConfigIssue } from './index.js';

// Trusted key of peridiod's test fixtures (base64 of the raw 32-byte Ed25519 key).
const TRUSTED_KEY = 'R/D9tfoPRSJi+pd+S6MQqjPfjfyXm9OO65n+RyJ1gbk=';

// The per-device peridio.json the EVK writes (protocol §8.4), as JSON text.
const EVK_CONFIG = `{
  "version": 1,
  "fwup": {"devpath": "/etc/peridiod/peridio.fwup.img"},
  "cache_dir": "/etc/peridiod/cache",
  "release_poll_enabled": true,
  "release_poll_interval": 5000,
  "remote_shell": true,
  "targets": ["arm64-v8", "arm-ethos-u65"],
  "remote_access_tunnels": {
    "enabled": true,
    "service_ports": [22],
    "hooks": {"pre_up": "/etc/peridiod/hooks/pre-up.sh", "pre_down": "/etc/peridiod/hooks/pre-down.sh"}
  },
  "node": {
    "key_pair_source": "file",
    "key_pair_config": {
      "private_key_path": "/etc/peridiod/device-private-key.pem",
      "certificate_path": "/etc/peridiod/device-certificate.pem"
    }
  },
  "trusted_signing_keys": ["${TRUSTED_KEY}"]
}`;

function ok(result: AgentConfigResult): { config: AgentConfig; warnings: ConfigIssue[] } {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.errors)}`);
  return result;
}

function errors(input: unknown): ConfigIssue[] {
  const result = parseAgentConfig(input, 'test.json');
  if (result.ok) throw new Error('expected errors');
  return result.errors;
}

describe('parseAgentConfig: real configs', () => {
  it('parses the EVK per-device config with no warnings', () => {
    const { config, warnings } = ok(parseAgentConfig(EVK_CONFIG, 'devices/EI-ML-0001/peridio.json'));
    expect(warnings).toEqual([]);
    expect(config.version).toBe(1);
    expect(config.fwup.devpath).toBe('/etc/peridiod/peridio.fwup.img');
    expect(config.cacheDir).toBe('/etc/peridiod/cache');
    expect(config.updatePollEnabled).toBe(true);
    expect(config.updatePollInterval).toBe(5000);
    expect(config.remoteShell).toBe(true);
    expect(config.targets).toEqual(['arm64-v8', 'arm-ethos-u65']);
    expect(config.remoteAccessTunnels).toMatchObject({
      enabled: true,
      servicePorts: [22],
      hooks: { preUp: '/etc/peridiod/hooks/pre-up.sh', postUp: null, preDown: '/etc/peridiod/hooks/pre-down.sh', postDown: null },
    });
    expect(config.node).toEqual({
      source: 'file',
      certificatePath: '/etc/peridiod/device-certificate.pem',
      privateKeyPath: '/etc/peridiod/device-private-key.pem',
    });
    expect(config.trustedSigningKeys).toEqual([TRUSTED_KEY]);
    expect(config.deviceApi).toEqual({ host: 'device.cremini.peridio.com', port: 443, certificatePath: null, verify: true });
  });

  it('parses peridiod support/peridio.json (network monitor, env identity)', () => {
    const { config, warnings } = ok(parseAgentConfig({
      version: 1,
      fwup: { devpath: '/etc/peridiod/peridiod.img', extra_args: ['--unsafe'], env: { PERIDIO_EXECUTE: 'touch /tmp/peridio-upgrade' } },
      network_monitor: { interface_priority: ['eth0', 'eth1', { wwan0: { disconnect_on_higher_priority: true } }] },
      remote_iex: false,
      remote_shell: true,
      update_poll_enabled: true,
      remote_access_tunnels: { enabled: true, service_ports: [22], hooks: { pre_up: '/etc/peridiod/hooks/pre-up.sh', pre_down: '/etc/peridiod/hooks/pre-down.sh' } },
      node: { key_pair_source: 'env', key_pair_config: { private_key: 'PERIDIO_PRIVATE_KEY', certificate: 'PERIDIO_CERTIFICATE' } },
    }, 'support/peridio.json'));
    expect(warnings).toEqual([]);
    expect(config.fwup.env).toEqual({ PERIDIO_EXECUTE: 'touch /tmp/peridio-upgrade' });
    expect(config.networkMonitor.interfacePriority).toEqual([
      { name: 'eth0', disconnectOnHigherPriority: false },
      { name: 'eth1', disconnectOnHigherPriority: false },
      { name: 'wwan0', disconnectOnHigherPriority: true },
    ]);
    expect(config.node).toEqual({ source: 'env', privateKey: 'PERIDIO_PRIVATE_KEY', certificate: 'PERIDIO_CERTIFICATE' });
  });

  it('parses peridiod test fixtures: staging host, verify false, uboot-env identity', () => {
    const { config } = ok(parseAgentConfig({
      version: 1,
      device_api: { certificate_path: 'test/fixtures/peridio-cert.pem', url: 'device.staging.cremini.peridio.com', verify: false },
      fwup: { devpath: '/dev/mmcblk0', public_keys: [] },
      node: { key_pair_source: 'uboot-env', key_pair_config: { private_key: 'peridio_key', certificate: 'peridio_cert' } },
    }, 'peridio-verify-none.json'));
    expect(config.deviceApi).toEqual({
      host: 'device.staging.cremini.peridio.com', port: 443, certificatePath: 'test/fixtures/peridio-cert.pem', verify: false,
    });
    expect(config.node).toEqual({ source: 'uboot-env', privateKey: 'peridio_key', certificate: 'peridio_cert' });
  });

  it('accepts a config without identity but warns that peridiod will not start (peridio-missing-identity.json)', () => {
    const { config, warnings } = ok(parseAgentConfig({
      node: { key_pair_source: 'env', key_pair_config: { private_key: null, certificate: null } },
    }, 'peridio-missing-identity.json'));
    expect(config.node).toEqual({ source: 'env', privateKey: null, certificate: null });
    expect(warnings).toEqual([{
      path: '$.node.key_pair_config',
      message: 'key_pair_source "env" needs private_key and certificate; without them peridiod does not start (identity not configured)',
    }]);
  });
});

describe('parseAgentConfig: defaults and precedence', () => {
  it('applies every default of the protocol table', () => {
    const expected: AgentConfig = {
      version: null,
      cacheDir: '/var/lib/peridiod',
      cacheEncryptionEnabled: true,
      cacheLogEnabled: true,
      cacheLogMaxBytes: 10485760,
      cacheLogMaxFiles: 0,
      cacheLogCompress: true,
      cacheLogLevel: 'debug',
      deviceApi: { host: 'device.cremini.peridio.com', port: 443, certificatePath: null, verify: true },
      fwup: { devpath: '/dev/mmcblk0', publicKeys: [], extraArgs: [], env: {}, streamChunkBytes: 5000000 },
      distributions: { cacheDownload: false, downloadParallelCount: 1, downloadParallelChunkBytes: 5000000 },
      rebootDelay: 5000,
      rebootCmd: 'reboot',
      rebootOpts: [],
      rebootSyncCmd: 'sync',
      rebootSyncOpts: [],
      remoteShell: false,
      remoteIex: false,
      remoteAccessTunnels: {
        enabled: false,
        servicePorts: [],
        persistentKeepalive: 25,
        dataDir: null,
        portRange: { start: 49152, end: 65535 },
        ipv4Cidrs: ['172.16.0.0/12', '192.168.0.0/16', '10.0.0.0/8'],
        routingTable: 555,
        hooks: { preUp: null, postUp: null, preDown: null, postDown: null },
      },
      networkMonitor: { interfacePriority: [] },
      node: { source: 'env', privateKey: null, certificate: null },
      socketEnabled: true,
      targets: ['portable'],
      trustedSigningKeys: [],
      trustedSigningKeyThreshold: 1,
      trustedSigningKeyDir: null,
      updatePollEnabled: false,
      updatePollInterval: 300000,
      updateResumeMaxBootCount: 10,
    };
    expect(defaultAgentConfig()).toEqual(expected);
    expect(ok(parseAgentConfig('{}', 'empty.json')).config).toEqual(expected);
  });

  it('treats null as absent, at any depth', () => {
    const { config } = ok(parseAgentConfig({ cache_dir: null, device_api: null, remote_access_tunnels: { hooks: null, port_range: null } }, 'x'));
    expect(config.cacheDir).toBe('/var/lib/peridiod');
    expect(config.deviceApi.host).toBe('device.cremini.peridio.com');
    expect(config.remoteAccessTunnels.portRange).toEqual({ start: 49152, end: 65535 });
  });

  it('lets update_poll_* win over release_poll_* whatever the key order', () => {
    const a = ok(parseAgentConfig('{"update_poll_enabled": false, "release_poll_enabled": true, "update_poll_interval": 1000, "release_poll_interval": 9000}', 'x'));
    expect([a.config.updatePollEnabled, a.config.updatePollInterval]).toEqual([false, 1000]);
    const b = ok(parseAgentConfig({ release_poll_enabled: true, update_poll_enabled: null, release_poll_interval: 9000 }, 'x'));
    expect([b.config.updatePollEnabled, b.config.updatePollInterval]).toEqual([true, 9000]);
  });

  it('splits device_api.url into host and port, keeping 443 without a port', () => {
    expect(ok(parseAgentConfig({ device_api: { url: '127.0.0.1:4001' } }, 'x')).config.deviceApi).toMatchObject({ host: '127.0.0.1', port: 4001 });
    expect(ok(parseAgentConfig({ device_api: { url: 'backend.local' } }, 'x')).config.deviceApi).toMatchObject({ host: 'backend.local', port: 443 });
  });

  it('does not share default arrays between results', () => {
    const first = defaultAgentConfig();
    first.targets.push('mutated');
    expect(defaultAgentConfig().targets).toEqual(['portable']);
  });

  it('reads the literal key "socket_enabled?"', () => {
    expect(ok(parseAgentConfig('{"socket_enabled?": false}', 'x')).config.socketEnabled).toBe(false);
  });
});

describe('parseAgentConfig: warnings', () => {
  it('reports unknown keys with their JSON path and a likely intended key', () => {
    const { config, warnings } = ok(parseAgentConfig({
      socket_enabled: false,
      device_api: { verfy: false },
      remote_access_tunnels: { hooks: { up: '/x' } },
      network_monitor: { interface_priority: [{ wwan0: { disconnect_on_higher_priority: true, metric: 5 } }] },
      colour: 'blue',
      'device_api.url': 'flat.example.com',
    }, 'x'));
    expect(config.socketEnabled).toBe(true);
    expect(warnings).toEqual(expect.arrayContaining([
      { path: '$.socket_enabled', message: 'unknown key, ignored by peridiod (did you mean "socket_enabled?"?)' },
      { path: '$.device_api.verfy', message: 'unknown key, ignored by peridiod (did you mean "verify"?)' },
      { path: '$.remote_access_tunnels.hooks.up', message: 'unknown key, ignored by peridiod' },
      { path: '$.colour', message: 'unknown key, ignored by peridiod' },
      { path: "$['device_api.url']", message: 'unknown key, ignored by peridiod' },
      { path: '$.network_monitor.interface_priority[0].wwan0.metric', message: 'unknown interface option, ignored (known: disconnect_on_higher_priority)' },
    ]));
    expect(warnings).toHaveLength(7);
    expect(config.deviceApi.host).toBe('device.cremini.peridio.com');
  });

  it('warns about key_pair_config keys of another source', () => {
    const { warnings } = ok(parseAgentConfig({
      node: { key_pair_source: 'file', key_pair_config: { certificate_path: '/c.pem', private_key_path: '/k.pem', private_key: 'X' } },
    }, 'x'));
    expect(warnings).toEqual([{
      path: '$.node.key_pair_config.private_key',
      message: 'only read when key_pair_source is "env" or "uboot-env"; ignored for "file"',
    }]);
  });

  it('types the pkcs11 identity and wants a certificate source', () => {
    const uri = 'pkcs11:token=MCHP;object=device;type=private';
    const full = ok(parseAgentConfig({ node: { key_pair_source: 'pkcs11', key_pair_config: { key_id: uri, cert_id: uri.replace('private', 'cert') } } }, 'x'));
    expect(full.warnings).toEqual([]);
    expect(full.config.node).toEqual({ source: 'pkcs11', keyId: uri, pkcs11Path: null, certId: 'pkcs11:token=MCHP;object=device;type=cert', certificatePath: null });
    const noCert = ok(parseAgentConfig({ node: { key_pair_source: 'pkcs11', key_pair_config: { key_id: uri } } }, 'x'));
    expect(noCert.warnings[0]?.message).toMatch(/needs key_id and one of cert_id or certificate_path/);
  });

  it('drops undecodable trusted keys with a warning and keeps PEM Ed25519 keys', () => {
    const pem = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' });
    const { config, warnings } = ok(parseAgentConfig({
      trusted_signing_keys: [TRUSTED_KEY, pem, 'not base64!', 'AAAAAAAAAAAAAAAAAAAAAA==', '-----BEGIN PUBLIC KEY-----\ngarbage\n-----END PUBLIC KEY-----'],
    }, 'x'));
    expect(config.trustedSigningKeys).toEqual([TRUSTED_KEY, pem]);
    expect(warnings.map((w) => w.path)).toEqual(['$.trusted_signing_keys[2]', '$.trusted_signing_keys[3]', '$.trusted_signing_keys[4]', '$.node.key_pair_config']);
    expect(warnings[1]?.message).toBe('decodes to 16 bytes, not a 32-byte Ed25519 key; it can never match a signature, dropped');
  });
});

describe('parseAgentConfig: rejections name the JSON path and what is accepted', () => {
  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' });
  it.each([
    [{ cache_dir: 5 }, '$.cache_dir', 'expected a non-empty path string, found number 5'],
    [{ cache_dir: '' }, '$.cache_dir', 'expected a non-empty path string, found string ""'],
    [{ reboot_delay: '5000' }, '$.reboot_delay', 'expected an integer >= 0, found string "5000"'],
    [{ reboot_delay: 1.5 }, '$.reboot_delay', 'expected an integer >= 0, found number 1.5'],
    [{ update_poll_interval: -1 }, '$.update_poll_interval', 'expected an integer >= 0, found number -1'],
    [{ remote_shell: 'yes' }, '$.remote_shell', 'expected true or false, found string "yes"'],
    [{ 'socket_enabled?': 0 }, "$['socket_enabled?']", 'expected true or false, found number 0'],
    [{ device_api: 'host' }, '$.device_api', 'expected an object, found string "host"'],
    [{ device_api: { url: 'device.example.com:0' } }, '$.device_api.url', 'with a port from 1 to 65535, found string "device.example.com:0"'],
    [{ device_api: { url: 'h:1:2' } }, '$.device_api.url', 'expected host or host:port without a scheme'],
    [{ device_api: { url: 'wss://h' } }, '$.device_api.url', '(peridiod splits on ":" and would use the scheme as host)'],
    [{ cache_log_level: 'verbose' }, '$.cache_log_level', 'expected one of "debug", "info", "warning", "error", found string "verbose"'],
    [{ fwup: { env: { A: 'x', B: 1 } } }, '$.fwup.env.B', 'expected a string value, found number 1'],
    [{ fwup: { extra_args: '--unsafe' } }, '$.fwup.extra_args', 'expected an array (string[]), found string "--unsafe"'],
    [{ targets: ['portable', null] }, '$.targets[1]', 'expected a string, found null'],
    [{ remote_access_tunnels: { service_ports: [22, 'ssh'] } }, '$.remote_access_tunnels.service_ports[1]', 'expected an integer from 1 to 65535, found string "ssh"'],
    [{ remote_access_tunnels: { service_ports: [70000] } }, '$.remote_access_tunnels.service_ports[0]', 'expected an integer from 1 to 65535, found number 70000'],
    [{ remote_access_tunnels: { port_range: '60000-50000' } }, '$.remote_access_tunnels.port_range', 'start <= end'],
    [{ remote_access_tunnels: { port_range: 49152 } }, '$.remote_access_tunnels.port_range', 'found number 49152'],
    [{ remote_access_tunnels: { ipv4_cidrs: ['10.0.0.0/8', '10.0.0.0/33'] } }, '$.remote_access_tunnels.ipv4_cidrs[1]', 'expected an IPv4 CIDR'],
    [{ remote_access_tunnels: { ipv4_cidrs: ['300.0.0.0/8'] } }, '$.remote_access_tunnels.ipv4_cidrs[0]', 'found string "300.0.0.0/8"'],
    [{ remote_access_tunnels: { ipv4_cidrs: [] } }, '$.remote_access_tunnels.ipv4_cidrs', 'found an empty array (peridiod crashes on []'],
    [{ remote_access_tunnels: { hooks: { post_up: 1 } } }, '$.remote_access_tunnels.hooks.post_up', 'found number 1'],
    [{ network_monitor: { interface_priority: ['eth0', { a: {}, b: {} }] } }, '$.network_monitor.interface_priority[1]', 'expected an interface name or'],
    [{ network_monitor: { interface_priority: [{ wwan0: { disconnect_on_higher_priority: 'yes' } }] } }, '$.network_monitor.interface_priority[0].wwan0.disconnect_on_higher_priority', 'expected true or false'],
    [{ node: { key_pair_source: 'tpm' } }, '$.node.key_pair_source', 'expected one of "file", "env", "uboot-env", "pkcs11", found string "tpm"'],
    [{ node: { key_pair_config: 'PERIDIO_KEY' } }, '$.node.key_pair_config', 'expected an object, found string "PERIDIO_KEY"'],
    [{ node: { key_pair_source: 'file', key_pair_config: { certificate_path: 5, private_key_path: '/k' } } }, '$.node.key_pair_config.certificate_path', 'expected a non-empty path string, found number 5'],
    [{ node: { key_pair_config: { private_key: '', certificate: 'C' } } }, '$.node.key_pair_config.private_key', 'expected a non-empty string'],
    [{ trusted_signing_keys: [TRUSTED_KEY, 42] }, '$.trusted_signing_keys[1]', 'expected a base64 or PEM key string, found number 42'],
    [{ trusted_signing_keys: [p256] }, '$.trusted_signing_keys[0]', '(a ec key; peridiod crashes on it)'],
    [[], '$', 'expected a JSON object at the top level, found an empty array'],
    ['"text"', '$', 'expected a JSON object at the top level, found string "text"'],
    ['{"cache_dir": "/x",\n  "targets": ["a" "b"]}', '$', 'invalid JSON at line 2, column 19: expected \',\' or \']\' after the array element, found \'"\''],
  ])('%j → %s', (input, path, message) => {
    const found = errors(input);
    expect(found.map((e) => e.path)).toEqual([path]);
    expect(found[0]?.message).toContain(message);
  });

  it('reports every error at once', () => {
    const found = errors({ cache_dir: 1, reboot_delay: 'x', remote_access_tunnels: { service_ports: ['a', 'b'] } });
    expect(found.map((e) => e.path)).toEqual([
      '$.cache_dir', '$.reboot_delay', '$.remote_access_tunnels.service_ports[0]', '$.remote_access_tunnels.service_ports[1]',
    ]);
  });
});
