import {
  bool, cidrList, hostPort, int, interfacePriority, listOf, object, oneOf, path, portRange, string, stringMap,
} from './codecs.js';
import type { Codec } from './codecs.js';
import { defineKey } from './define-key.js';
import type { ConfigKey } from './define-key.js';
import { trustedSigningKeys } from './trusted-keys.js';

const MAX_PORT = 65535;
const strings = listOf(string);
const nullable = <T>(codec: Codec<T>): Codec<T | null> => codec;

export const KEY_PAIR_SOURCES = ['file', 'env', 'uboot-env', 'pkcs11'] as const;
export const LOG_LEVELS = ['debug', 'info', 'warning', 'error'] as const;

/**
 * Every key peridiod reads from peridio.json (protocol §1.2, §1.3), each declared once. Parsing,
 * defaults and describeConfigKeys() all derive from this table. Order matters where two keys set
 * the same field: the later one wins, as in peridiod's build_config.
 */
export const CONFIG_KEYS: readonly ConfigKey[] = [
  defineKey({
    key: 'version', codec: nullable(int(0)), default: null,
    meaning: 'Never read by peridiod; docs say "currently 1".',
    set: (c, v) => { c.version = v; },
  }),
  defineKey({
    key: 'cache_dir', codec: path, default: '/var/lib/peridiod',
    meaning: 'Cache root (metadata, binaries, DEK, logs); forced to mode 0700.',
    set: (c, v) => { c.cacheDir = v; },
  }),
  defineKey({
    key: 'cache_encryption_enabled', codec: bool, default: true,
    meaning: 'AES-256-GCM encryption of cached files at rest.',
    set: (c, v) => { c.cacheEncryptionEnabled = v; },
  }),
  defineKey({
    key: 'cache_log_enabled', codec: bool, default: true,
    meaning: 'Also write logs to {cache_dir}/log/peridiod.log.',
    set: (c, v) => { c.cacheLogEnabled = v; },
  }),
  defineKey({
    key: 'cache_log_max_bytes', codec: int(1), default: 10485760,
    meaning: 'Rotation size of the cache log file.',
    set: (c, v) => { c.cacheLogMaxBytes = v; },
  }),
  defineKey({
    key: 'cache_log_max_files', codec: int(0), default: 0,
    meaning: 'Rotated log archives kept (code default 0; CHANGELOG says 5).',
    set: (c, v) => { c.cacheLogMaxFiles = v; },
  }),
  defineKey({
    key: 'cache_log_compress', codec: bool, default: true,
    meaning: 'Compress rotated logs.',
    set: (c, v) => { c.cacheLogCompress = v; },
  }),
  defineKey({
    key: 'cache_log_level', codec: oneOf(LOG_LEVELS), default: 'debug',
    meaning: 'Level of the cache log file.',
    set: (c, v) => { c.cacheLogLevel = v; },
  }),
  defineKey({
    key: 'device_api.url', codec: hostPort, default: { host: 'device.cremini.peridio.com', port: 443 },
    defaultDoc: '"device.cremini.peridio.com" (port 443)',
    meaning: 'Device API host, optional :port; the port only affects the WebSocket, REST always uses https://<host> on 443.',
    set: (c, v) => { c.deviceApi.host = v.host; if (v.port !== null) c.deviceApi.port = v.port; },
  }),
  defineKey({
    key: 'device_api.certificate_path', codec: nullable(path), default: null,
    defaultDoc: '<release>/lib/peridiod-<vsn>/priv/peridio-cert.pem (null)',
    meaning: 'CA file used to verify the server certificate.',
    set: (c, v) => { c.deviceApi.certificatePath = v; },
  }),
  defineKey({
    key: 'device_api.verify', codec: bool, default: true,
    meaning: 'false = verify_none, but every prod build forces verify_peer (with a warning).',
    set: (c, v) => { c.deviceApi.verify = v; },
  }),
  defineKey({
    key: 'fwup.devpath', codec: path, default: '/dev/mmcblk0',
    meaning: 'Target block device or file for fwup.',
    set: (c, v) => { c.fwup.devpath = v; },
  }),
  defineKey({
    key: 'fwup.public_keys', codec: strings, default: [],
    meaning: 'fwup public keys (base64 Ed25519), passed as --public-key.',
    set: (c, v) => { c.fwup.publicKeys = v; },
  }),
  defineKey({
    key: 'fwup.extra_args', codec: strings, default: [],
    meaning: 'Appended to the fwup command line (e.g. ["--unsafe"]).',
    set: (c, v) => { c.fwup.extraArgs = v; },
  }),
  defineKey({
    key: 'fwup.env', codec: stringMap, default: {},
    meaning: 'Environment of the fwup process.',
    set: (c, v) => { c.fwup.env = v; },
  }),
  defineKey({
    key: 'fwup.stream_chunk_bytes', codec: int(1), default: 5000000,
    meaning: 'Chunk size of the legacy distribution streamer.',
    set: (c, v) => { c.fwup.streamChunkBytes = v; },
  }),
  defineKey({
    key: 'distributions.cache_download', codec: bool, default: false,
    meaning: 'Legacy flow: cache firmware to disk while streaming.',
    set: (c, v) => { c.distributions.cacheDownload = v; },
  }),
  defineKey({
    key: 'distributions.download_parallel_count', codec: int(1), default: 1,
    meaning: 'Legacy flow: >1 enables ranged parallel download.',
    set: (c, v) => { c.distributions.downloadParallelCount = v; },
  }),
  defineKey({
    key: 'distributions.download_parallel_chunk_bytes', codec: int(1), default: 5000000,
    meaning: 'Legacy flow: parallel download chunk size.',
    set: (c, v) => { c.distributions.downloadParallelChunkBytes = v; },
  }),
  defineKey({
    key: 'reboot_delay', codec: int(0), default: 5000,
    meaning: 'Milliseconds to wait before the reboot step runs.',
    set: (c, v) => { c.rebootDelay = v; },
  }),
  defineKey({
    key: 'reboot_cmd', codec: string, default: 'reboot',
    meaning: 'Reboot command of the reboot step and the legacy flow.',
    set: (c, v) => { c.rebootCmd = v; },
  }),
  defineKey({
    key: 'reboot_opts', codec: strings, default: [],
    meaning: 'Arguments of reboot_cmd.',
    set: (c, v) => { c.rebootOpts = v; },
  }),
  defineKey({
    key: 'reboot_sync_cmd', codec: string, default: 'sync',
    meaning: 'Command run before the reboot command.',
    set: (c, v) => { c.rebootSyncCmd = v; },
  }),
  defineKey({
    key: 'reboot_sync_opts', codec: strings, default: [],
    meaning: 'Arguments of reboot_sync_cmd.',
    set: (c, v) => { c.rebootSyncOpts = v; },
  }),
  defineKey({
    key: 'remote_shell', codec: bool, default: false,
    meaning: 'Getty-based console over the "console" channel.',
    set: (c, v) => { c.remoteShell = v; },
  }),
  defineKey({
    key: 'remote_iex', codec: bool, default: false,
    meaning: 'IEx console; wins over remote_shell when both are true.',
    set: (c, v) => { c.remoteIex = v; },
  }),
  defineKey({
    key: 'remote_access_tunnels.enabled', codec: bool, default: false,
    meaning: 'Accept WireGuard remote access tunnels.',
    set: (c, v) => { c.remoteAccessTunnels.enabled = v; },
  }),
  defineKey({
    key: 'remote_access_tunnels.service_ports', codec: listOf(int(1, MAX_PORT)), default: [],
    meaning: 'Device ports a tunnel may target (e.g. [22]).',
    set: (c, v) => { c.remoteAccessTunnels.servicePorts = v; },
  }),
  defineKey({
    key: 'remote_access_tunnels.persistent_keepalive', codec: int(0, MAX_PORT), default: 25,
    meaning: 'WireGuard PersistentKeepalive in seconds.',
    set: (c, v) => { c.remoteAccessTunnels.persistentKeepalive = v; },
  }),
  defineKey({
    key: 'remote_access_tunnels.data_dir', codec: nullable(path), default: null,
    defaultDoc: 'OS temp dir: $TMPDIR or /tmp (null)',
    meaning: 'Where <ifname>.conf wg-quick files live; make it persistent to resume tunnels.',
    set: (c, v) => { c.remoteAccessTunnels.dataDir = v; },
  }),
  defineKey({
    key: 'remote_access_tunnels.port_range', codec: portRange, default: { start: 49152, end: MAX_PORT },
    meaning: 'Advertised WireGuard listen port range.',
    set: (c, v) => { c.remoteAccessTunnels.portRange = v; },
  }),
  defineKey({
    key: 'remote_access_tunnels.ipv4_cidrs', codec: cidrList, default: ['172.16.0.0/12', '192.168.0.0/16', '10.0.0.0/8'],
    meaning: 'Advertised tunnel address space.',
    set: (c, v) => { c.remoteAccessTunnels.ipv4Cidrs = v; },
  }),
  defineKey({
    key: 'remote_access_tunnels.routing_table', codec: int(0), default: 555,
    meaning: 'Routing table number, only passed to hook scripts.',
    set: (c, v) => { c.remoteAccessTunnels.routingTable = v; },
  }),
  defineKey({
    key: 'remote_access_tunnels.hooks.pre_up', codec: nullable(path), default: null, defaultDoc: '<priv>/pre-up.sh (null)',
    meaning: 'wg-quick PreUp hook.',
    set: (c, v) => { c.remoteAccessTunnels.hooks.preUp = v; },
  }),
  defineKey({
    key: 'remote_access_tunnels.hooks.post_up', codec: nullable(path), default: null, defaultDoc: '<priv>/post-up.sh (null)',
    meaning: 'wg-quick PostUp hook.',
    set: (c, v) => { c.remoteAccessTunnels.hooks.postUp = v; },
  }),
  defineKey({
    key: 'remote_access_tunnels.hooks.pre_down', codec: nullable(path), default: null, defaultDoc: '<priv>/pre-down.sh (null)',
    meaning: 'wg-quick PreDown hook.',
    set: (c, v) => { c.remoteAccessTunnels.hooks.preDown = v; },
  }),
  defineKey({
    key: 'remote_access_tunnels.hooks.post_down', codec: nullable(path), default: null, defaultDoc: '<priv>/post-down.sh (null)',
    meaning: 'wg-quick PostDown hook.',
    set: (c, v) => { c.remoteAccessTunnels.hooks.postDown = v; },
  }),
  defineKey({
    key: 'network_monitor.interface_priority', codec: interfacePriority, default: [],
    meaning: 'Multi-WAN: interfaces in priority order; [] = no interface binding.',
    set: (c, v) => { c.networkMonitor.interfacePriority = v; },
  }),
  defineKey({
    key: 'node.key_pair_source', codec: oneOf(KEY_PAIR_SOURCES), default: 'env',
    meaning: 'Where the device certificate and key come from (protocol §2).',
    set: (c, v) => { c.node.source = v; },
  }),
  defineKey({
    key: 'node.key_pair_config', codec: nullable(object), default: null,
    meaning: 'Source-specific identity settings; see the node.key_pair_config.* keys.',
    set: (c, v) => { c.node.config = v; },
  }),
  defineKey({
    key: 'socket_enabled?', codec: bool, default: true,
    meaning: 'false disables WebSocket, console, tunnels and legacy distributions; HTTP polling still works.',
    set: (c, v) => { c.socketEnabled = v; },
  }),
  defineKey({
    key: 'targets', codec: strings, default: ['portable'],
    meaning: 'Binary targets to install; [] = every target; null/"" targets always install.',
    set: (c, v) => { c.targets = v; },
  }),
  defineKey({
    key: 'trusted_signing_keys', codec: trustedSigningKeys, default: [],
    meaning: 'Ed25519 keys (base64 raw 32 bytes or SPKI PEM) trusted for binary signatures.',
    set: (c, v) => { c.trustedSigningKeys = v; },
  }),
  defineKey({
    key: 'trusted_signing_key_threshold', codec: int(0), default: 1,
    meaning: 'Signatures from trusted keys each binary needs.',
    set: (c, v) => { c.trustedSigningKeyThreshold = v; },
  }),
  defineKey({
    key: 'trusted_signing_key_dir', codec: nullable(path), default: null,
    meaning: 'Stored but never used by peridiod.',
    set: (c, v) => { c.trustedSigningKeyDir = v; },
  }),
  defineKey({
    key: 'release_poll_enabled', codec: bool, default: false,
    meaning: 'Older name of update_poll_enabled, which wins when both are set.',
    set: (c, v) => { c.updatePollEnabled = v; },
  }),
  defineKey({
    key: 'update_poll_enabled', codec: bool, default: false,
    meaning: 'Poll GET /update over HTTP.',
    set: (c, v) => { c.updatePollEnabled = v; },
  }),
  defineKey({
    key: 'release_poll_interval', codec: int(0), default: 300000,
    meaning: 'Older name of update_poll_interval, which wins when both are set.',
    set: (c, v) => { c.updatePollInterval = v; },
  }),
  defineKey({
    key: 'update_poll_interval', codec: int(0), default: 300000,
    meaning: 'Poll period in milliseconds (docs say 30 min; code says 5).',
    set: (c, v) => { c.updatePollInterval = v; },
  }),
  defineKey({
    key: 'update_resume_max_boot_count', codec: int(0), default: 10,
    meaning: 'Only used by dead resume code.',
    set: (c, v) => { c.updateResumeMaxBootCount = v; },
  }),
];
