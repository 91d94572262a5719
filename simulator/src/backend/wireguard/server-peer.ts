// One server-side WireGuard interface `vfwg<N>`: wireguard-go in the foreground, in a mount namespace
// of its own where /var/run/wireguard is the backend's socket directory (so neither wg-quick on the
// host nor another backend sees or shadows its socket). It dies with the backend (PDEATHSIG).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { VfleetError } from '@vfleet/core';
import { keyToHex, uapiRequest } from './uapi.js';

export interface ServerPeerSpec {
  ifname: string;
  /** The backend's socket directory (bound on /var/run/wireguard for this process only). */
  socketDir: string;
  privateKey: string;
  /** 0 lets wireguard-go pick. */
  listenPort: number;
  serverIp: string;
  deviceIp: string;
  devicePublicKey: string;
  /** `ip:port` of the device when known (the server can then send first). */
  deviceEndpoint?: string;
  keepaliveSeconds?: number;
}

export interface ServerPeer {
  ifname: string;
  pid: number;
  listenPort: number;
  /** When the last handshake with the device completed (unix seconds), 0 when none yet. */
  lastHandshake(): Promise<number>;
  stop(): Promise<void>;
}

const START_SCRIPT = 'mkdir -p /var/run/wireguard && mount --bind "$1" /var/run/wireguard && exec setpriv --pdeathsig KILL wireguard-go -f "$2"';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `ip …` with a bounded run time; rejects with its stderr. */
export function ip(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', (e) => reject(new VfleetError('VFLEET_IO', `ip ${args.join(' ')}: ${e.message}`, { cause: e })));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new VfleetError('VFLEET_IO', `ip ${args.join(' ')}: exit ${code}: ${err.trim()}`))));
  });
}

/** The first `vfwg<N>` with no interface in this namespace and not in `taken`. */
export function freeInterfaceName(taken: ReadonlySet<string>): string {
  const present = new Set(existsSync('/sys/class/net') ? readdirSync('/sys/class/net') : []);
  for (let n = 0; ; n++) if (!present.has(`vfwg${n}`) && !taken.has(`vfwg${n}`)) return `vfwg${n}`;
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

export async function startServerPeer(spec: ServerPeerSpec): Promise<ServerPeer> {
  const child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', START_SCRIPT, 'sh', spec.socketDir, spec.ifname], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited(child);
    clearTimeout(killer);
  };
  const socket = join(spec.socketDir, `${spec.ifname}.sock`);
  try {
    for (let waited = 0; !existsSync(socket); waited += 20) {
      const failed = child.exitCode !== null || child.signalCode !== null;
      if (failed || waited > 5000) {
        const why = await Promise.race([spawnError.then((e) => e.message), sleep(10).then(() => stderr.replace(/[┌│└─┘┐]+.*\n?/g, '').trim())]);
        throw new VfleetError('VFLEET_IO', `wireguard-go ${spec.ifname}: ${failed ? `exited (${child.exitCode ?? child.signalCode})` : 'no control socket after 5 s'}${why ? `: ${why}` : ''}`);
      }
      await sleep(20);
    }
    const peer = [
      `public_key=${keyToHex(spec.devicePublicKey)}`,
      ...(spec.deviceEndpoint === undefined ? [] : [`endpoint=${spec.deviceEndpoint}`]),
      ...(spec.keepaliveSeconds === undefined ? [] : [`persistent_keepalive_interval=${spec.keepaliveSeconds}`]),
      'replace_allowed_ips=true',
      `allowed_ip=${spec.deviceIp}/32`,
    ];
    await uapiRequest(socket, ['set=1', `private_key=${keyToHex(spec.privateKey)}`, `listen_port=${spec.listenPort}`, 'replace_peers=true', ...peer]);
    const got = await uapiRequest(socket, ['get=1']);
    const listenPort = Number(got.find(([k]) => k === 'listen_port')?.[1]);
    await ip(['address', 'add', spec.serverIp, 'peer', `${spec.deviceIp}/32`, 'dev', spec.ifname]);
    await ip(['link', 'set', 'dev', spec.ifname, 'up']);
    const lastHandshake = async () => Number((await uapiRequest(socket, ['get=1'])).find(([k]) => k === 'last_handshake_time_sec')?.[1] ?? 0);
    return { ifname: spec.ifname, pid: child.pid ?? -1, listenPort, lastHandshake, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
