import { parseCertificate, validateSlot } from '@vfleet/core';
import {
  createDeviceApi,
  createDevicePaths,
  createDeviceTls,
  createLogger,
  createPhoenixClient,
  loadAgentSetup,
  logLevelFromEnv,
  restIdleMs,
  socketJoinParams,
  socketUrl,
  type Env,
  type LogFormat,
  type PhoenixClient,
} from './connect/index.js';
import { createUpdater, type Updater, type UpdaterOptions } from './update/index.js';
import { consoleCommand, consolePreferenceFromEnv, createRemoteConsole, type ConsolePreference, type RemoteConsole } from './console/index.js';
import { createTunnelManager, type TunnelManager } from './tunnel/index.js';
import type { AgentLogger } from './types.js';

/** Exit code of `vfleet-agent` when the device asks to reboot; runtimes turn it into a restart. */
export const REBOOT_EXIT_CODE = 100;

export type AgentExit = { reason: 'stopped' } | { reason: 'reboot'; requestedBy: 'update' | 'server' };

export interface AgentOptions {
  /** The device's environment (PERIDIO_CONFIG_FILE, identity variables, …). */
  env: Env;
  /** Outside a container: the device directory that backs `/etc/peridiod` (and `/…` under `root/`). */
  deviceDir?: string;
  log?: { sink: (line: string) => void; format?: LogFormat };
  signal?: AbortSignal;
  /**
   * How env writes are made durable: a FlushLane's flush, which the in-process runtime shares among
   * its devices. Default: fdatasync in libuv's thread pool.
   */
  envFlush?: (fd: number) => Promise<void>;
  /** Extra updater settings (tests, benches). */
  updater?: Partial<Pick<UpdaterOptions, 'fetchBinary' | 'download' | 'downloadSlots' | 'installers' | 'toolPath' | 'binaryCaPem'>>;
  socket?: { reconnectDelaysMs?: readonly number[]; heartbeatIntervalMs?: number };
  /** Remote console settings (tests): inactivity timeout, and getty or a login shell (default: $VFLEET_CONSOLE, else getty where possible). */
  console?: { inactivityMs?: number; prefer?: ConsolePreference };
}

export interface Agent {
  deviceId: string;
  log: AgentLogger;
  updater: Updater;
  socket: PhoenixClient | undefined;
  /** Remote access tunnels (absent when the socket is disabled). */
  tunnels: TunnelManager | undefined;
  /** The remote console (protocol §6) when remote_shell or remote_iex is on. */
  console: RemoteConsole | undefined;
  /** Resolves when the agent stops: on abort, or when the device reboots. */
  exit: Promise<AgentExit>;
  stop(): Promise<void>;
}

/**
 * One peridiod-compatible device. Many can run in one process: each has its own paths, TLS context,
 * timers and state, and shares nothing mutable with the others.
 */
export async function createAgent(options: AgentOptions): Promise<Agent> {
  const mapped = options.deviceDir !== undefined;
  const env: Env = mapped
    ? { PERIDIO_CONFIG_FILE: '/etc/peridiod/peridio.json', VFLEET_FW_ENV_CONFIG: '/etc/peridiod/fw_env.config', ...options.env }
    : options.env;
  const paths = createDevicePaths(mapped ? { root: options.deviceDir as string, mode: 'mapped' } : { mode: 'container' });
  const sink = options.log?.sink ?? ((line: string) => process.stdout.write(line + '\n'));
  const logName = options.deviceDir?.split('/').filter(Boolean).pop() ?? env['HOSTNAME'] ?? 'device';
  const log = createLogger({ sink, format: options.log?.format ?? 'console', level: logLevelFromEnv(env['PERIDIO_LOG_LEVEL']), deviceId: logName });
  const setup = await loadAgentSetup({ env, paths, log, ...(options.envFlush === undefined ? {} : { flush: options.envFlush }) });
  const deviceId = setup.identity.commonName ?? parseCertificate(setup.identity.certPem, 'device certificate').commonName;

  const controller = new AbortController();
  const stopOn = options.signal;
  const onOuterAbort = () => controller.abort(stopOn?.reason);
  stopOn?.addEventListener('abort', onOuterAbort, { once: true });
  let resolveExit!: (e: AgentExit) => void;
  const exit = new Promise<AgentExit>((r) => (resolveExit = r));
  let ended = false;
  const end = (e: AgentExit) => {
    if (ended) return;
    ended = true;
    controller.abort();
    stopOn?.removeEventListener('abort', onOuterAbort);
    resolveExit(e);
  };
  controller.signal.addEventListener('abort', () => end({ reason: 'stopped' }), { once: true });
  const requestReboot = (requestedBy: 'update' | 'server') => end({ reason: 'reboot', requestedBy });

  if (setup.config.trustedSigningKeys.length === 0) {
    log.warn('Trusted signing keys are unspecified\n\nAll binaries will be rejected: configure trusted_signing_keys to install updates.');
  }
  let validated = false;
  const tls = createDeviceTls({ config: setup.config, identity: setup.identity, paths });
  const api = createDeviceApi({ config: setup.config, tls, signal: controller.signal, idleKeepAliveMs: restIdleMs(setup.config.updatePollInterval) });
  const updater = createUpdater({
    config: setup.config,
    kv: setup.kv,
    api,
    paths,
    log,
    signal: controller.signal,
    identity: setup.identity,
    requestReboot,
    onUpdateAnswer: () => {
      if (validated) return;
      validated = true;
      // A/B: the first good answer from the server proves the booted slot (peridio_autovalidate=1)
      const { changes, unset } = validateSlot(setup.kv.all());
      const writes = new Map([...changes, ...unset.map((k) => [k, ''] as [string, string])]);
      if (writes.size > 0) void setup.kv.putMany(writes).catch((e: unknown) => log.error(`[Validate] could not mark the slot valid: ${(e as Error).message}`));
    },
    ...options.updater,
  });
  const tunnels = setup.config.socketEnabled ? createTunnelManager({ config: setup.config, api, log, paths, env, signal: controller.signal }) : undefined;
  const consolePrefer = options.console?.prefer ?? consolePreferenceFromEnv(env['VFLEET_CONSOLE'], log.warn);
  const remoteConsole = setup.config.socketEnabled && (setup.config.remoteShell || setup.config.remoteIex)
    ? createRemoteConsole({
        pushUp: (data) => void socket?.push('console', 'up', { data }),
        log,
        // outside a container the shell starts in the device's mapped root, never in the host's
        command: () => consoleCommand({
          hostEnv: process.env,
          isRoot: process.getuid?.() === 0,
          mappedRoot: mapped ? paths.map('/') : undefined,
          prefer: consolePrefer,
        }),
        ...(options.console?.inactivityMs ? { inactivityMs: options.console.inactivityMs } : {}),
      })
    : undefined;
  const socket = setup.config.socketEnabled
    ? createPhoenixClient({
        url: socketUrl(setup.config),
        tls,
        joinParams: () => socketJoinParams(setup.kv.all()),
        consoleEnabled: setup.config.remoteShell || setup.config.remoteIex,
        log,
        signal: controller.signal,
        onEvent: (topic, event, payload) => {
          if (topic === 'device') tunnels?.onEvent(event, payload);
          if (topic === 'console') remoteConsole?.handle(event, payload);
        },
        onJoin: (topic) => {
          if (topic === 'device') void tunnels?.sync();
        },
        requestReboot,
        ...(options.socket?.reconnectDelaysMs ? { reconnectDelaysMs: options.socket.reconnectDelaysMs } : {}),
        ...(options.socket?.heartbeatIntervalMs ? { heartbeatIntervalMs: options.socket.heartbeatIntervalMs } : {}),
      })
    : undefined;
  updater.start();
  void exit.then(async () => {
    socket?.close();
    await Promise.all([updater.stop(), tunnels?.stop(), remoteConsole?.stop()]);
    api.close();
  });
  return {
    deviceId,
    log,
    updater,
    socket,
    tunnels,
    console: remoteConsole,
    exit,
    async stop() {
      controller.abort();
      await exit;
      await Promise.all([updater.stop(), tunnels?.stop(), remoteConsole?.stop()]);
    },
  };
}
