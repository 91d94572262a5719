// The backend's data plane for open tunnels: per tunnel one server WireGuard peer (vfwg<N>) and one
// 127.0.0.1 TCP listener forwarding to the device's tunnel address and service port.
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { constants, accessSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { wgKeyPair } from '../../agent/tunnel/index.js';
import { allowlistChecker } from './allowlist.js';
import { startPortForward, type PortForward } from './port-forward.js';
import { freeInterfaceName, startServerPeer, type ServerPeer } from './server-peer.js';

export interface PlaneOpenSpec {
  uuid: string;
  serverIp: string;
  deviceIp: string;
  devicePublicKey: string;
  dport: number;
  deviceEndpoint?: string;
  /** Given when a tunnel is resumed after a restart: the same key and, if free, the same ports. */
  privateKey?: string;
  listenPort?: number;
  forwardPort?: number;
  /** The tunnel's cidr_block_allowlist: client addresses the forward lets in (everyone when empty). */
  allowlist?: readonly string[];
}

export interface PlaneTunnel {
  uuid: string;
  ifname: string;
  pid: number;
  privateKey: string;
  publicKey: string;
  listenPort: number;
  forwardPort: number;
}

export interface TunnelPlane {
  /** Why tunnels carry no traffic here (control plane only), or undefined when they do. */
  readonly missing: string | undefined;
  open(spec: PlaneOpenSpec): Promise<PlaneTunnel>;
  close(uuid: string): Promise<void>;
  closeAll(): Promise<void>;
  list(): PlaneTunnel[];
  get(uuid: string): PlaneTunnel | undefined;
  /** The last WireGuard handshake with the device (ISO time), null before the first one. */
  lastHandshake(uuid: string): Promise<string | null>;
}

const CAP_NET_ADMIN = 12;
const CAP_SYS_ADMIN = 21;

/** Why a server WireGuard peer cannot run in this process, or undefined. */
export function serverPlaneMissing(env: NodeJS.ProcessEnv = process.env): string | undefined {
  let status: string;
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    return 'no /proc/self/status (tunnels carry traffic on Linux only)';
  }
  const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1] ?? '0';
  const caps = BigInt(`0x${capEff}`);
  if ((caps & (1n << BigInt(CAP_NET_ADMIN))) === 0n) return 'no CAP_NET_ADMIN (run the backend as root)';
  if ((caps & (1n << BigInt(CAP_SYS_ADMIN))) === 0n) return 'no CAP_SYS_ADMIN (needed for a private /var/run/wireguard)';
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
  } catch {
    return 'no /dev/net/tun';
  }
  const dirs = (env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter);
  for (const tool of ['wireguard-go', 'unshare', 'setpriv', 'ip']) {
    const found = dirs.some((d) => {
      try {
        accessSync(join(d, tool), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
    if (!found) return `${tool} not found on PATH`;
  }
  return undefined;
}

export interface TunnelPlaneOptions {
  /** Set to say why this plane carries no traffic (skips detection). */
  missing?: string | undefined;
  /**
   * Holds the wireguard-go control sockets; one per backend, so a restarted backend reuses (and
   * first empties) the directory a killed one left. Default: a fresh directory under the OS temp dir.
   */
  socketDir?: string;
  onError?: (e: unknown) => void;
}

/** The workspace's wireguard-go socket directory: short, as Unix socket paths are limited to 108 bytes. */
export function socketDirFor(home: string): string {
  return join(tmpdir(), `vfleet-wg-${createHash('sha256').update(resolve(home)).digest('hex').slice(0, 12)}`);
}

export function createTunnelPlane(opts: TunnelPlaneOptions = {}): TunnelPlane {
  const missing = 'missing' in opts ? opts.missing : serverPlaneMissing();
  const open = new Map<string, { info: PlaneTunnel; peer: ServerPeer; forward: PortForward }>();
  const starting = new Set<string>();
  let socketDir: string | undefined;
  /** Set by closeAll (the backend stopping): no tunnel opens after it, and one still opening is undone. */
  let closed = false;
  const opening = new Set<Promise<unknown>>();
  /** Per tunnel, the tail of its opens and closes: they run one after another, so none loses an interface. */
  const queues = new Map<string, Promise<void>>();

  const serial = <T>(uuid: string, job: () => Promise<T>): Promise<T> => {
    const before = queues.get(uuid);
    const run = before === undefined ? job() : before.then(job);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    queues.set(uuid, tail);
    void tail.then(() => {
      if (queues.get(uuid) === tail) queues.delete(uuid);
    });
    return run;
  };

  const closeNow = async (uuid: string) => {
    const t = open.get(uuid);
    if (!t) return;
    open.delete(uuid);
    await Promise.all([t.forward.close(), t.peer.stop()]);
  };
  const close = (uuid: string) => serial(uuid, () => closeNow(uuid));

  const openOne = async (spec: PlaneOpenSpec): Promise<PlaneTunnel> => {
    if (closed) throw new Error('tunnel data plane closed');
    await closeNow(spec.uuid);
    if (socketDir === undefined) {
      if (opts.socketDir === undefined) socketDir = mkdtempSync(join(tmpdir(), 'vfleet-wg-'));
      else {
        rmSync(opts.socketDir, { recursive: true, force: true });
        mkdirSync(opts.socketDir, { recursive: true, mode: 0o700 });
        socketDir = opts.socketDir;
      }
    }
    const dir = socketDir;
    const keys = spec.privateKey === undefined ? wgKeyPair() : { privateKey: spec.privateKey, publicKey: wgPublicKey(spec.privateKey) };
    let peer: ServerPeer | undefined;
    let lastError: unknown;
    for (let attempt = 0; attempt < 4 && peer === undefined; attempt++) {
      const ifname = freeInterfaceName(new Set([...[...open.values()].map((t) => t.info.ifname), ...starting]));
      starting.add(ifname);
      try {
        peer = await startServerPeer({
          ifname, socketDir: dir, privateKey: keys.privateKey, listenPort: spec.listenPort ?? 0,
          serverIp: spec.serverIp, deviceIp: spec.deviceIp, devicePublicKey: spec.devicePublicKey,
          ...(spec.deviceEndpoint === undefined ? {} : { deviceEndpoint: spec.deviceEndpoint }),
        });
      } catch (e) {
        lastError = e; // another backend may have taken the name between the check and the start
        if (spec.listenPort !== undefined && attempt === 1) delete spec.listenPort;
      } finally {
        starting.delete(ifname);
      }
    }
    if (peer === undefined) throw lastError;
    let forward: PortForward;
    const allow = allowlistChecker(spec.allowlist ?? []);
    try {
      forward = await startPortForward({
        port: spec.forwardPort ?? 0,
        target: { host: spec.deviceIp, port: spec.dport },
        ...(allow === undefined ? {} : { allow }),
        ...(opts.onError === undefined ? {} : { onError: opts.onError }),
      });
    } catch (e) {
      await peer.stop();
      throw e;
    }
    if (closed) {
      // the backend stopped while this tunnel was coming up: nothing may outlive it (a wireguard-go
      // process or a listening forwarder would keep the process alive)
      await Promise.all([forward.close(), peer.stop()]);
      throw new Error('tunnel data plane closed while the tunnel was opening');
    }
    const info: PlaneTunnel = { uuid: spec.uuid, ifname: peer.ifname, pid: peer.pid, ...keys, listenPort: peer.listenPort, forwardPort: forward.port };
    open.set(spec.uuid, { info, peer, forward });
    return info;
  };

  return {
    missing,
    async open(spec) {
      if (missing !== undefined) throw new Error(`tunnel data plane unavailable: ${missing}`);
      if (closed) throw new Error('tunnel data plane closed');
      const p = serial(spec.uuid, () => openOne(spec));
      opening.add(p);
      try {
        return await p;
      } finally {
        opening.delete(p);
      }
    },
    close,
    async closeAll() {
      closed = true;
      await Promise.allSettled([...opening]);
      await Promise.all([...open.keys()].map(close));
      if (socketDir !== undefined) rmSync(socketDir, { recursive: true, force: true });
      socketDir = undefined;
    },
    list: () => [...open.values()].map((t) => t.info),
    get: (uuid) => open.get(uuid)?.info,
    async lastHandshake(uuid) {
      const t = open.get(uuid);
      const sec = t === undefined ? 0 : await t.peer.lastHandshake().catch(() => 0);
      return sec > 0 ? new Date(sec * 1000).toISOString() : null;
    },
  };
}

/** The base64 public key of a base64 raw X25519 private key. */
export function wgPublicKey(privateKey: string): string {
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), Buffer.from(privateKey, 'base64')]);
  const pub = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }));
  return pub.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
}
