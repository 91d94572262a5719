// peridiod's remote access tunnels on the device (protocol §7): the open flow on `tunnel_request`,
// wg-quick up/down, TTL, extend, close with the listed reasons, and the sync after every join.
import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentConfig } from '@vfleet/core';
import type { AgentLogger, DeviceApi, DevicePaths } from '../types.js';
import { findTool } from '../update/process/find-tool.js';
import { spawnTool } from '../update/process/spawn-tool.js';
import { formatCidr, parseCidr, subtractCidrs, type Cidr } from './cidr.js';
import { dataPlaneMissing, interfaceNames, localSubnets, usedPorts } from './local-net.js';
import { DYNAMIC_PORTS, freePortRanges, pickFreePort } from './ports.js';
import { latestHandshake, LIVENESS_EVERY_MS, LIVENESS_FIRST_MS, packetCounters, tunnelInactive } from './liveness.js';
import { formatQuickConfig, hookArguments, hookLine, readQuickConfigTags, type QuickConfig } from './quick-config.js';
import { ownRoot } from '../update/installers/installer-opts.js';
import { parseConfigureReply, parseTunnelEvent, parseTunnelList, type ServerTunnel } from './server-reply.js';
import { tunnelInterfaceName, wgKeyPair } from './wg-keys.js';

export type CloseReason =
  | 'normal' | 'ttl_timeout' | 'interface_timeout' | 'server_requested_close'
  | 'device_error_interface_configure' | 'device_error_interface_up' | 'device_tunnel_abnormal_down';

export interface TunnelManagerOptions {
  config: AgentConfig;
  api: DeviceApi;
  log: AgentLogger;
  paths: DevicePaths;
  env: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
  now?: () => Date;
  /** peridio-rat polls for the interface once a second and gives up after 10 s (interface_timeout). */
  interfacePollMs?: number;
  interfaceTimeoutMs?: number;
  /** The liveness check's first run and period (peridio-rat: 10 min, then every minute). */
  livenessFirstMs?: number;
  livenessEveryMs?: number;
}

export interface LocalTunnelInfo {
  prn: string;
  ifname: string;
  dport: number;
  address: string;
  up: boolean;
}

export interface TunnelManager {
  /** A `device` topic event; tunnel events are handled, others ignored. */
  onEvent(event: string, payload: unknown): void;
  /** §7.5, run after every device-channel join. */
  sync(): Promise<void>;
  list(): LocalTunnelInfo[];
  /** Agent shutdown: interfaces down, configs kept (a reboot resumes them through sync), nothing sent. */
  stop(): Promise<void>;
}

interface LocalTunnel extends LocalTunnelInfo {
  confPath: string;
  serverIp: string;
  timer?: NodeJS.Timeout;
  liveness?: NodeJS.Timeout;
  stopping?: Promise<void>;
}

const CONF_NAME = /^peridio-[A-Z2-7]{7}\.conf$/;
const MAX_TIMER_MS = 2 ** 31 - 1;
const TEARDOWN_MS = 20_000;
const lastLine = (output: string): string => output.trim().split('\n').filter((l) => l.trim() !== '').pop() ?? '';

export function createTunnelManager(options: TunnelManagerOptions): TunnelManager {
  const { api, log, paths, signal } = options;
  const rat = options.config.remoteAccessTunnels;
  const now = options.now ?? (() => new Date());
  const pollMs = options.interfacePollMs ?? 1000;
  const timeoutMs = options.interfaceTimeoutMs ?? 10_000;
  const tunnels = new Map<string, LocalTunnel>();
  const pending = new Set<string>();
  const dataDir = paths.map(rat.dataDir ?? options.env['TMPDIR'] ?? '/tmp');
  const searchPath = options.env['PATH'] ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  const tool = (name: string) => findTool(name, searchPath);
  let stopped = false;
  let stopping: Promise<void> | undefined;
  let syncing: Promise<void> = Promise.resolve();

  const wgQuick = async (verb: 'up' | 'down', confPath: string, run: AbortSignal) => {
    const path = await tool('wg-quick');
    if (path === undefined) return { code: 127, output: 'wg-quick not found on PATH' };
    const r = await spawnTool(path, [verb, confPath], { signal: run, timeoutMs: 30_000, env: { PATH: searchPath } });
    return { code: r.code ?? 128, output: r.output };
  };

  /** wg-quick down; when that fails (a failing PreDown hook stops wg-quick early) the link is deleted, so nothing lingers. */
  const takeDown = async (t: LocalTunnel): Promise<void> => {
    const down = AbortSignal.timeout(TEARDOWN_MS);
    const r = await wgQuick('down', t.confPath, down).catch((e: unknown) => ({ code: -1, output: (e as Error).message }));
    if (r.code !== 0) log.debug(`Tunnel ${t.prn} wg-quick down ${t.ifname}: ${lastLine(r.output)}`);
    const ip = interfaceNames().includes(t.ifname) ? await tool('ip') : undefined;
    if (ip !== undefined) await spawnTool(ip, ['link', 'delete', 'dev', t.ifname], { signal: down, timeoutMs: 10_000 }).catch(() => undefined);
    t.up = false;
  };

  const armTtl = (t: LocalTunnel, expiresAt: string): void => {
    clearTimeout(t.timer);
    const ms = Math.min(Math.max(Date.parse(expiresAt) - now().getTime(), 0), MAX_TIMER_MS);
    t.timer = setTimeout(() => {
      log.info(`Tunnel ${t.prn} ttl timeout`);
      void close(t, 'ttl_timeout');
    }, ms);
  };

  const watch = (t: LocalTunnel): void => {
    const check = async () => {
      const wg = await tool('wg');
      const shown = wg === undefined ? undefined : await spawnTool(wg, ['show', t.ifname, 'latest-handshakes'], { signal, timeoutMs: 10_000 }).catch(() => undefined);
      if (t.stopping || signal.aborted) return;
      const sample = { latestHandshake: latestHandshake(shown?.output ?? ''), ...(await packetCounters(t.ifname)) };
      if (tunnelInactive(sample, Math.floor(now().getTime() / 1000))) log.warn(`Tunnel ${t.prn} reported inactive`);
      t.liveness = setTimeout(() => void check(), options.livenessEveryMs ?? LIVENESS_EVERY_MS);
    };
    clearTimeout(t.liveness);
    t.liveness = setTimeout(() => void check(), options.livenessFirstMs ?? LIVENESS_FIRST_MS);
  };

  /** Timers off and the interface down; the config stays. */
  const halt = async (t: LocalTunnel): Promise<void> => {
    clearTimeout(t.timer);
    clearTimeout(t.liveness);
    if (t.up || interfaceNames().includes(t.ifname)) await takeDown(t);
  };

  /** wg-quick down, the config removed, then PATCH closed (unless `report` is false). */
  const close = (t: LocalTunnel, reason: CloseReason, report = true): Promise<void> => {
    t.stopping ??= (async () => {
      await halt(t);
      await rm(t.confPath, { force: true }).catch(() => undefined);
      tunnels.delete(t.prn);
      log.debug(`Tunnel ${t.prn} terminated reason: ${reason}`);
      if (!report || signal.aborted) return;
      try {
        const r = await api.closeTunnel(t.prn, reason);
        if (r.status < 200 || r.status > 299) log.warn(`Tunnel ${t.prn} close not accepted: ${r.status}`);
      } catch (e) {
        if (!signal.aborted) log.warn(`Tunnel ${t.prn} close not reported: ${(e as Error).message}`);
      }
    })();
    return t.stopping;
  };

  const bringUp = async (t: LocalTunnel): Promise<void> => {
    const missing = await dataPlaneMissing(tool);
    if (missing !== undefined) {
      log.error(`Tunnel ${t.prn} failed to bring up interface ${t.ifname}: ${missing} (WireGuard needs CAP_NET_ADMIN, /dev/net/tun and wireguard-tools; containers: --cap-add NET_ADMIN --device /dev/net/tun)`);
      return close(t, 'device_error_interface_up');
    }
    const r = await wgQuick('up', t.confPath, signal).catch((e: unknown) => ({ code: -1, output: (e as Error).message }));
    if (t.stopping) return;
    if (r.code !== 0) {
      log.error(`Tunnel ${t.prn} failed to bring up interface ${t.ifname}: wg-quick up exited ${r.code}: ${lastLine(r.output)}`);
      return close(t, 'device_error_interface_up');
    }
    t.up = true;
    for (let waited = 0; !interfaceNames().includes(t.ifname); waited += pollMs) {
      if (waited >= timeoutMs || t.stopping || signal.aborted) {
        if (!t.stopping && !signal.aborted) {
          log.error(`Tunnel ${t.prn} failed to bring up interface ${t.ifname}: not visible after ${timeoutMs} ms`);
          await close(t, 'interface_timeout');
        }
        return;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
    log.info(`Tunnel ${t.prn} interface ${t.ifname} up`);
    watch(t);
  };

  const holes = (): Cidr[] => [
    ...localSubnets(),
    ...[...tunnels.values()].flatMap((t) => [parseCidr(t.address), parseCidr(t.serverIp)]).filter((c): c is Cidr => c !== undefined),
  ];

  /**
   * The hooks of the wg-quick file. A device without a root of its own (process, inproc) runs
   * them with its own /tmp and /run (hookLine); without `unshare` to give it those, the hooks are
   * left out rather than run against the host's.
   */
  const hookLines = async (args: string, ifname: string): Promise<QuickConfig['hooks']> => {
    const hooks: QuickConfig['hooks'] = {};
    const scripts = (['preUp', 'postUp', 'preDown', 'postDown'] as const).filter((name) => rat.hooks[name] !== null);
    if (scripts.length === 0) return hooks;
    let deviceView: { unshare: string; tmp: string; run: string } | undefined;
    if (!ownRoot(paths)) {
      const unshare = await tool('unshare');
      if (unshare === undefined) {
        log.warn(`Tunnel interface ${ifname}: hooks left out: "unshare" (util-linux) is not on PATH to run them with this device's /tmp and /run instead of the host's`);
        return hooks;
      }
      deviceView = { unshare, tmp: paths.map('/tmp'), run: paths.map('/run') };
    }
    for (const name of scripts) hooks[name] = hookLine(paths.map(rat.hooks[name] as string), args, deviceView);
    return hooks;
  };

  /** §7.3 step 3 onwards: keys, offers, configure, the wg-quick file and the interface. */
  const openTunnel = async (prn: string, dport: number): Promise<void> => {
    if (tunnels.has(prn) || pending.has(prn) || stopped) return;
    pending.add(prn);
    try {
      const keys = wgKeyPair();
      const ifname = tunnelInterfaceName();
      const used = await usedPorts();
      const listenPort = pickFreePort(DYNAMIC_PORTS, used) ?? DYNAMIC_PORTS.start;
      used.add(listenPort);
      const offered = rat.ipv4Cidrs.map(parseCidr).filter((c): c is Cidr => c !== undefined);
      const body = {
        cidr_blocks: subtractCidrs(offered, holes()).map(formatCidr),
        port_ranges: freePortRanges(rat.portRange, used),
        device_proxy_port: listenPort,
        device_tunnel_port: dport,
        device_public_key: keys.publicKey,
      };
      let server;
      try {
        server = parseConfigureReply(await api.configureTunnel(prn, body));
      } catch (e) {
        server = (e as Error).message;
      }
      if (typeof server === 'string') {
        if (!signal.aborted) log.error(`[Socket] Tunnel Open Error: ${server}`);
        return; // server_error_create: no local tunnel, nothing sent
      }
      const t: LocalTunnel = { prn, ifname, dport, address: server.deviceIp, serverIp: server.serverProxyIp, up: false, confPath: join(dataDir, `${ifname}.conf`) };
      tunnels.set(prn, t);
      armTtl(t, server.expiresAt);
      const args = hookArguments({
        ifname, dport, deviceIp: server.deviceIp, serverIp: server.serverProxyIp, wanIfname: '', endpointIp: server.serverTunnelIp, routingTable: rat.routingTable,
      });
      let hooks: QuickConfig['hooks'];
      try {
        hooks = await hookLines(args, ifname);
      } catch (e) {
        log.error(`Tunnel ${prn} failed to configure interface ${ifname}: ${(e as Error).message}`);
        return await close(t, 'device_error_interface_configure');
      }
      const host = server.serverTunnelIp.includes(':') ? `[${server.serverTunnelIp}]` : server.serverTunnelIp;
      const text = formatQuickConfig({
        ifname, devicePublicKey: keys.publicKey, privateKey: keys.privateKey, address: server.deviceIp, listenPort, table: 'auto',
        hooks,
        peer: { allowedIps: `${server.serverProxyIp}/32`, publicKey: server.serverPublicKey, endpoint: `${host}:${server.serverProxyPort}`, persistentKeepalive: rat.persistentKeepalive },
        tunnelPrn: prn,
        dport,
      });
      try {
        await mkdir(dataDir, { recursive: true });
        const fh = await open(t.confPath, 'w', 0o600);
        try {
          await fh.writeFile(text);
          await fh.sync();
        } finally {
          await fh.close();
        }
      } catch (e) {
        log.error(`Tunnel ${prn} failed to configure interface ${ifname}: ${(e as Error).message}`);
        return await close(t, 'device_error_interface_configure');
      }
      await bringUp(t);
    } finally {
      pending.delete(prn);
    }
  };

  /** §7.3 steps 1–2: a request the device may refuse (nothing is sent back then). */
  const request = (prn: string, dport: unknown): void => {
    if (!rat.enabled) {
      log.warn(`[Cloud Socket] Remote Access Tunnel requested but not enabled on the device: tunnel_prn=${prn}`);
      return;
    }
    if (typeof dport !== 'number' || !rat.servicePorts.includes(dport)) {
      log.warn(`[Cloud Socket] Remote Access Tunnel requested for port ${JSON.stringify(dport) ?? 'nil'} but not enabled in service port list: [${rat.servicePorts.join(', ')}]`);
      return;
    }
    void openTunnel(prn, dport).catch((e: unknown) => log.error(`[Socket] Tunnel Open Error: ${(e as Error).message}`));
  };

  /** Configs left in the data dir (by a previous run), with their tags. */
  const savedConfigs = async () => {
    const names = await readdir(dataDir).catch(() => [] as string[]);
    const out: { path: string; tags: NonNullable<ReturnType<typeof readQuickConfigTags>>; serverIp: string }[] = [];
    for (const name of names.filter((n) => CONF_NAME.test(n))) {
      const path = join(dataDir, name);
      const text = await readFile(path, 'utf8').catch(() => '');
      const tags = readQuickConfigTags(text);
      const serverIp = /^AllowedIPs\s*=\s*([\d.]+)/m.exec(text)?.[1] ?? '';
      if (tags) out.push({ path, tags, serverIp });
    }
    return out;
  };

  const resume = async (saved: Awaited<ReturnType<typeof savedConfigs>>[number], server: ServerTunnel): Promise<void> => {
    const t: LocalTunnel = {
      prn: server.prn, ifname: saved.tags.ifname, dport: saved.tags.dport, address: saved.tags.address ?? '', serverIp: saved.serverIp, up: false, confPath: saved.path,
    };
    tunnels.set(t.prn, t);
    if (server.expiresAt !== undefined) armTtl(t, server.expiresAt);
    if (interfaceNames().includes(t.ifname)) {
      t.up = true;
      log.info(`Tunnel ${t.prn} interface ${t.ifname} up`);
      watch(t);
    } else await bringUp(t);
  };

  const sync = async (): Promise<void> => {
    if (!rat.enabled) {
      log.info('[Remote Access Tunnels] Disabled skipping sync');
      return;
    }
    log.info('[Cloud Socket] Tunnels synchronizing');
    let list: ServerTunnel[] | string;
    try {
      list = parseTunnelList(await api.getTunnels());
    } catch (e) {
      list = (e as Error).message;
    }
    if (typeof list === 'string') {
      if (!signal.aborted) log.error(`[Cloud Socket] Tunnels synchronizing failed: ${list}`);
      return;
    }
    const known = new Set(list.map((t) => t.prn));
    if (list.length === 0) await Promise.all([...tunnels.values()].map((t) => close(t, 'normal')));
    // local tunnels the server no longer lists: torn down without telling it
    await Promise.all([...tunnels.values()].filter((t) => !known.has(t.prn)).map((t) => close(t, 'normal', false)));
    const saved = await savedConfigs();
    for (const s of saved.filter((c) => !known.has(c.tags.tunnelPrn) && !tunnels.has(c.tags.tunnelPrn))) {
      const orphan: LocalTunnel = { prn: s.tags.tunnelPrn, ifname: s.tags.ifname, dport: s.tags.dport, address: '', serverIp: '', up: false, confPath: s.path };
      await close(orphan, 'normal', false);
    }
    for (const st of list) {
      if (tunnels.has(st.prn) || pending.has(st.prn)) {
        const t = tunnels.get(st.prn);
        if (t && st.expiresAt !== undefined) armTtl(t, st.expiresAt);
        continue;
      }
      if (st.state === 'requested') request(st.prn, st.dport);
      else if (st.state === 'open') {
        const found = saved.find((c) => c.tags.tunnelPrn === st.prn);
        if (found) await resume(found, st);
        else {
          log.debug(`Tunnel ${st.prn} terminated reason: device_tunnel_abnormal_down`);
          await api.closeTunnel(st.prn, 'device_tunnel_abnormal_down').catch((e: unknown) => log.warn(`Tunnel ${st.prn} close not reported: ${(e as Error).message}`));
        }
      }
    }
  };

  return {
    onEvent(event, payload) {
      const e = parseTunnelEvent(event, payload);
      if (e === undefined || stopped) return;
      if (typeof e === 'string') {
        log.warn(`[Cloud Socket] ignoring ${e}`);
        return;
      }
      if (e.event === 'tunnel_request') return request(e.prn, e.dport);
      const t = tunnels.get(e.prn);
      if (e.event === 'tunnel_extend') {
        log.info('[Cloud Socket] Tunnel Server requested extend');
        if (t) armTtl(t, e.expiresAt);
        return;
      }
      log.info('[Cloud Socket] Tunnel Server requested close');
      if (t) void close(t, 'server_requested_close');
    },
    sync() {
      // one sync at a time: a quick rejoin waits for the previous one instead of racing it
      syncing = syncing.then(() => (stopped ? undefined : sync())).catch((e: unknown) => log.error(`[Cloud Socket] Tunnels synchronizing failed: ${(e as Error).message}`));
      return syncing;
    },
    list: () => [...tunnels.values()].map(({ prn, ifname, dport, address, up }) => ({ prn, ifname, dport, address, up })),
    stop() {
      stopped = true;
      stopping ??= Promise.all([...tunnels.values()].map(halt)).then(() => tunnels.clear());
      return stopping;
    },
  };
}
