// End to end: an agent in a network namespace of its own (veth to the host), the backend on the
// host, a TCP echo service on the device, and bytes through WireGuard (wireguard-go on both ends).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveTools } from '@vfleet/core/test-support';
import { initWorkspace } from '../workspace/init.js';
import { loadProduct } from '../product/product.js';
import { generateDevices } from '../devices/generate.js';
import { evkSpecs } from '../devices/spec.js';
import { startBackend, type Backend } from '../backend/server.js';
import { createAdminClient, type AdminClient } from '../backend/admin-client.js';
import { seedEvk } from '../backend/evk-seed.js';
import { until } from '../test-support/device.js';
import { closeTunnel, extendTunnel, openTunnel, type TunnelRow } from './tunnel-client.js';

const agentMain = fileURLToPath(new URL('../../dist/agent/main.js', import.meta.url));
const cliMain = fileURLToPath(new URL('../../../apps/cli/dist/main.js', import.meta.url));
const isRoot = process.getuid?.() === 0;
const why = !isRoot ? 'not root' : !existsSync('/dev/net/tun') ? 'no /dev/net/tun' : !existsSync(agentMain) ? `no ${agentMain} (npm run build)` : undefined;
if (why !== undefined) {
  if (process.env['CI'] === 'true') throw new Error(`tunnel end-to-end test cannot run in CI: ${why}`);
  console.warn(`skipping the tunnel end-to-end test: ${why}`);
}
const canRun = why === undefined && haveTools('ip', 'wg', 'wg-quick', 'wireguard-go', 'unshare', 'setpriv');

const tag = randomBytes(3).toString('hex');
const ns = `vft-tun-${tag}`;
const vethHost = `vft-tun-${tag}h`;
const subnet = `198.18.${randomInt(0, 256)}`;
const hostIp = `${subnet}.1`;
const deviceNet = `${subnet}.2`;
const ECHO_PORT = 7777;
const FAILING_PORT = 7778;
const FAILING_DOWN_PORT = 7779;

let root: string;
let home: string;
let dir: string;
let backend: Backend | undefined;
let admin: AdminClient;
let agent: ChildProcess | undefined;
let echo: ChildProcess | undefined;
let cliBackend: ChildProcess | undefined;
const agentLog: string[] = [];

const sh = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const nsLinks = () => sh('ip', ['-n', ns, '-o', 'link', 'show']);
const hostLinks = () => sh('ip', ['-o', 'link', 'show']);
const nsPids = () => sh('ip', ['netns', 'pids', ns]).split('\n').filter((p) => p !== '');
const comm = (pid: string) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};
/** wireguard-go processes serving `ifname` (the backend's run in the foreground with -f). */
const wgGoFor = (ifname: string) =>
  readdirSync('/proc').filter((p) => /^\d+$/.test(p) && comm(p) === 'wireguard-go').filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes(ifname);
    } catch {
      return false;
    }
  });
const serverIfname = (t: TunnelRow) => {
  const line = sh('ip', ['-o', '-4', 'addr', 'show']).split('\n').find((l) => t.server_proxy_ip_address !== null && l.includes(` ${t.server_proxy_ip_address} peer `));
  return line?.split(/\s+/)[1];
};

/** Sends `text` to host:port and resolves with what comes back once `text.length` bytes arrived. */
function roundTrip(address: string, text: string): Promise<string> {
  const [host, port] = address.split(':') as [string, string];
  return new Promise((resolve, reject) => {
    const s = connect({ host, port: Number(port) });
    let got = '';
    const timer = setTimeout(() => s.destroy(new Error(`no echo from ${address} within 10 s (got ${JSON.stringify(got)})`)), 10_000);
    s.on('connect', () => s.write(text));
    s.on('data', (d: Buffer) => {
      got += d.toString();
      if (got.length >= text.length) {
        clearTimeout(timer);
        s.end();
        resolve(got);
      }
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

async function start(port: number): Promise<Backend> {
  const b = await startBackend({ home, host: hostIp, port, adminPort: 0, binaryPort: 0 });
  admin = createAdminClient(b.admin.url, b.adminToken);
  backend = b;
  return b;
}

/** `vfleet …` (the built CLI) in the test's workspace. */
function vfleet(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [cliMain, '--home', home, ...args], { encoding: 'utf8', timeout: 60_000 });
}

beforeAll(async () => {
  if (!canRun) return;
  sh('ip', ['netns', 'add', ns]);
  sh('ip', ['link', 'add', vethHost, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  sh('ip', ['addr', 'add', `${hostIp}/30`, 'dev', vethHost]);
  sh('ip', ['link', 'set', vethHost, 'up']);
  sh('ip', ['-n', ns, 'addr', 'add', `${deviceNet}/30`, 'dev', 'eth0']);
  sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
  sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);

  root = mkdtempSync(join(tmpdir(), 'vft-tun-e2e-'));
  home = join(root, 'home');
  initWorkspace({ home });
  const b = await start(0);
  await seedEvk({ home, client: admin, sizeScale: 1 / 1024 });
  await generateDevices({
    home, out: join(root, 'devices'), cohort: 'release', env: 'file', diskBytes: 0, force: false, specs: evkSpecs(loadProduct()).slice(0, 1),
    deviceApi: b.deviceApiUrl, deviceApiCa: b.deviceApiCaPath,
  });
  dir = join(root, 'devices', 'EI-ML-0001');
  // hooks that record their arguments in the device's /tmp (<device>/root/tmp: they run with the
  // device's /tmp and /run, never the host's); pre-up fails for FAILING_PORT
  writeFileSync(join(dir, 'hooks', 'pre-up.sh'), `#!/bin/sh\necho "pre-up $*" >> /tmp/calls.log\n[ "$2" = ${FAILING_PORT} ] && exit 1\nexit 0\n`);
  writeFileSync(join(dir, 'hooks', 'pre-down.sh'), `#!/bin/sh\necho "pre-down $*" >> /tmp/calls.log\n[ "$2" = ${FAILING_DOWN_PORT} ] && exit 1\nexit 0\n`);
  for (const h of ['pre-up.sh', 'pre-down.sh']) chmodSync(join(dir, 'hooks', h), 0o755);
  const config = JSON.parse(readFileSync(join(dir, 'peridio.json'), 'utf8')) as { remote_access_tunnels: Record<string, unknown> };
  config.remote_access_tunnels['service_ports'] = [ECHO_PORT, FAILING_PORT, FAILING_DOWN_PORT];
  writeFileSync(join(dir, 'peridio.json'), JSON.stringify(config, null, 2));

  echo = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', `require('net').createServer((s) => s.pipe(s)).listen(${ECHO_PORT})`], { stdio: 'ignore' });
  await startAgent();
}, 90_000);

/** The device: the agent in the namespace, with a mount namespace of its own for /var/run/wireguard. */
async function startAgent(): Promise<void> {
  const syncs = agentLog.filter((l) => l.includes('[Cloud Socket] Tunnels synchronizing')).length;
  // its wg-quick/wireguard-go sockets stay out of the host's /var/run/wireguard
  const child = spawn('ip', [
    'netns', 'exec', ns, 'unshare', '-m', '--propagation', 'private', 'sh', '-c',
    'mkdir -p /var/run/wireguard && mount -t tmpfs tmpfs /var/run/wireguard && exec "$0" "$@"', process.execPath, agentMain, '--device-dir', dir,
  ], { env: { ...process.env, PERIDIO_LOG_LEVEL: 'debug' }, stdio: ['ignore', 'pipe', 'pipe'] });
  agent = child;
  for (const stream of [child.stdout, child.stderr]) stream?.on('data', (d: Buffer) => agentLog.push(...d.toString().split('\n').filter((l) => l.trim() !== '')));
  await until(() => agentLog.filter((l) => l.includes('[Cloud Socket] Tunnels synchronizing')).length > syncs, 20_000);
}

async function stopAgent(): Promise<number | null> {
  const child = agent as ChildProcess;
  child.kill('SIGTERM');
  await until(() => child.exitCode !== null || child.signalCode !== null, 20_000);
  return child.exitCode;
}

afterAll(async () => {
  if (!canRun) return;
  const exited = (c: ChildProcess | undefined) => until(() => c === undefined || c.exitCode !== null || c.signalCode !== null, 20_000).catch(() => c?.kill('SIGKILL'));
  for (const c of [agent, echo, cliBackend]) c?.kill('SIGTERM');
  await backend?.close().catch(() => undefined);
  await Promise.all([agent, cliBackend].map(exited));
  // anything still in the namespace was started by this test (agent, echo, the device's wireguard-go)
  try {
    for (const pid of nsPids()) process.kill(Number(pid), 'SIGKILL');
  } catch {
    // no namespace: beforeAll stopped before making it
  }
  spawnSync('ip', ['netns', 'del', ns]);
  spawnSync('ip', ['link', 'del', vethHost]);
  if (root) rmSync(root, { recursive: true, force: true });
}, 30_000);

const logged = (text: string) => agentLog.some((l) => l.includes(text));
const deviceTunnelIfs = () => (nsLinks().match(/peridio-[A-Z2-7]{7}/g) ?? []);
const nsWgGo = () => nsPids().filter((p) => comm(p) === 'wireguard-go');

describe.skipIf(!canRun)('remote access tunnel end to end (network namespace, wireguard-go both ends)', { timeout: 90_000 }, () => {
  let open: TunnelRow;

  it('echoes bytes through WireGuard from the printed 127.0.0.1 address; hooks get the seven arguments', async () => {
    open = await openTunnel({ client: admin, device: 'EI-ML-0001', port: ECHO_PORT, ttlSeconds: 600 });
    expect(open.state).toBe('open');
    expect(open.local_address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await roundTrip(open.local_address as string, 'hello through wireguard')).toBe('hello through wireguard');

    const [ifname] = deviceTunnelIfs();
    expect(ifname).toMatch(/^peridio-[A-Z2-7]{7}$/);
    expect(logged(`Tunnel ${open.prn} interface ${ifname} up`)).toBe(true);
    expect(serverIfname(open)).toMatch(/^vfwg\d+$/);
    const calls = readFileSync(join(dir, 'root', 'tmp', 'calls.log'), 'utf8');
    expect(calls).toContain(`pre-up ${ifname} ${ECHO_PORT} ${open.device_proxy_ip_address} ${open.server_proxy_ip_address}/32 ${hostIp} 555\n`);
    // wg is the oracle for the handshake (inside the device's mount and network namespaces)
    const handshakes = sh('nsenter', ['-t', String(agent?.pid), '-m', '-n', 'wg', 'show', ifname as string, 'latest-handshakes']);
    expect(Number(handshakes.trim().split(/\s+/)[1])).toBeGreaterThan(0);
  });

  it('extends, then closes on request: both interfaces, the listener and both wireguard-go processes go', async () => {
    const extended = await extendTunnel(admin, open.prn, 1200);
    expect(Date.parse(extended.expires_at)).toBeGreaterThan(Date.parse(open.expires_at));
    await until(() => logged('[Cloud Socket] Tunnel Server requested extend'), 20_000);

    const serverIf = serverIfname(open) as string;
    expect(wgGoFor(serverIf).length).toBe(1);
    expect(nsWgGo().length).toBe(1);
    const closed = await closeTunnel(admin, open.uuid);
    expect(closed).toMatchObject({ state: 'closed', close_reason: 'server_requested_close' });
    await until(() => logged('[Cloud Socket] Tunnel Server requested close') && deviceTunnelIfs().length === 0 && nsWgGo().length === 0, 20_000);
    await until(() => logged(`Tunnel ${open.prn} terminated reason: server_requested_close`), 20_000);
    expect(hostLinks()).not.toContain(`${serverIf}:`);
    expect(wgGoFor(serverIf)).toEqual([]);
    await expect(roundTrip(open.local_address as string, 'x')).rejects.toThrow(/ECONNREFUSED/);
    expect(readFileSync(join(dir, 'root', 'tmp', 'calls.log'), 'utf8')).toMatch(/^pre-down peridio-/m);
  });

  it('a failing pre-up hook closes the tunnel device_error_interface_up and leaves nothing behind', async () => {
    await expect(openTunnel({ client: admin, device: 'EI-ML-0001', port: FAILING_PORT, timeoutMs: 20_000 })).rejects.toThrow(/closed before it opened \(device_error_interface_up\)/);
    expect(logged('failed to bring up interface')).toBe(true);
    await until(() => (backend as Backend).store.tunnels.list({ state: 'open' }).length === 0 && !/vfwg\d+:/.test(hostLinks()), 20_000);
    expect(deviceTunnelIfs()).toEqual([]);
    expect(nsWgGo()).toEqual([]);
  });

  it('a failing pre-down hook still leaves no interface or wireguard-go behind', async () => {
    const t = await openTunnel({ client: admin, device: 'EI-ML-0001', port: FAILING_DOWN_PORT, ttlSeconds: 600 });
    expect(deviceTunnelIfs().length).toBe(1);
    await closeTunnel(admin, t.uuid);
    await until(() => logged(`Tunnel ${t.prn} terminated reason: server_requested_close`), 20_000);
    expect(logged(`Tunnel ${t.prn} wg-quick down`)).toBe(true);
    expect(deviceTunnelIfs()).toEqual([]);
    await until(() => nsWgGo().length === 0 && !/vfwg\d+:/.test(hostLinks()), 20_000);
  });

  it('expires at its TTL on both ends', async () => {
    const t = await openTunnel({ client: admin, device: 'EI-ML-0001', port: ECHO_PORT, ttlSeconds: 6 });
    expect(await roundTrip(t.local_address as string, 'ttl')).toBe('ttl');
    await until(() => logged(`Tunnel ${t.prn} ttl timeout`), 20_000);
    await until(() => deviceTunnelIfs().length === 0 && nsWgGo().length === 0 && (backend as Backend).store.tunnels.get(t.uuid)?.state === 'closed', 20_000);
    expect((backend as Backend).store.tunnels.get(t.uuid)?.close_reason).toBe('ttl_timeout');
    await until(() => !/vfwg\d+:/.test(hostLinks()), 20_000);
  });

  it('a rejoin whose sync finds no tunnels on the server stops the local one and reports it closed normal', async () => {
    const b = backend as Backend;
    const t = await openTunnel({ client: admin, device: 'EI-ML-0001', port: ECHO_PORT, ttlSeconds: 600 });
    b.store.tunnels.update(t.uuid, { state: 'closed', close_reason: 'closed behind the device' });
    const device = b.store.tunnels.get(t.uuid)?.device_uuid as string;
    // the server drops the device channel: the device rejoins after 5 s and synchronises
    expect(b.socket.push(device, 'device', 'phx_close', {})).toBe(true);
    await until(() => logged(`Tunnel ${t.prn} terminated reason: normal`), 20_000);
    await until(() => deviceTunnelIfs().length === 0 && nsWgGo().length === 0 && !/vfwg\d+:/.test(hostLinks()), 20_000);
    expect(b.store.tunnels.get(t.uuid)?.close_reason).toBe('closed behind the device');
  });

  it('survives a backend restart: the server end comes back with the same key and port, the device keeps its end', async () => {
    const t = await openTunnel({ client: admin, device: 'EI-ML-0001', port: ECHO_PORT, ttlSeconds: 600 });
    expect(await roundTrip(t.local_address as string, 'before')).toBe('before');
    const port = (backend as Backend).deviceApiPort;
    const serverIf = serverIfname(t) as string;
    await backend?.close();
    expect(hostLinks()).not.toContain(`${serverIf}:`);
    expect(wgGoFor(serverIf)).toEqual([]);
    const syncs = agentLog.filter((l) => l.includes('Tunnels synchronizing')).length;
    await start(port);
    await until(() => agentLog.filter((l) => l.includes('Tunnels synchronizing')).length > syncs, 20_000);
    const resumed = (await admin.call<{ tunnel: TunnelRow }>('GET', `/api/v1/tunnels/${t.uuid}`)).tunnel;
    expect(resumed.state).toBe('open');
    expect(resumed.local_address).not.toBeNull();
    expect(deviceTunnelIfs().length).toBe(1);
    expect(await roundTrip(resumed.local_address as string, 'after restart')).toBe('after restart');
    await closeTunnel(admin, t.uuid);
    await until(() => deviceTunnelIfs().length === 0 && !/vfwg\d+:/.test(hostLinks()), 20_000);
  });

  it.skipIf(!existsSync(cliMain))('vfleet tunnel prints an address that echoes; a SIGKILLed `vfleet backend` leaves no wireguard-go, interface or listener', async () => {
    const port = (backend as Backend).deviceApiPort;
    await backend?.close();
    backend = undefined;
    const startCli = async () => {
      const child = spawn(process.execPath, [cliMain, '--home', home, 'backend', '--host', hostIp, '--port', String(port), '--admin-port', '0', '--binary-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      await until(() => /admin API\s+(http:\/\/\S+)/.test(out), 20_000);
      cliBackend = child;
      return /admin API\s+(http:\/\/\S+)/.exec(out)?.[1] as string;
    };
    let adminUrl = await startCli();
    const opened = vfleet(['tunnel', 'EI-ML-0001', String(ECHO_PORT), '--ttl', '10m', '--admin-url', adminUrl]);
    expect(opened.stderr).toMatch(/^prn:1:\S+:tunnel:\S+ → EI-ML-0001:7777 until /m);
    const address = opened.stdout.trim();
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await roundTrip(address, 'via the cli')).toBe('via the cli');
    const prn = /^(prn:1:\S+:tunnel:\S+)/m.exec(opened.stderr)?.[1] as string;
    const listed = vfleet(['tunnel', 'ls', '--admin-url', adminUrl]).stdout.split('\n');
    expect(listed[0]).toBe('PRN\tDEVICE\tPORT\tSTATE\tLOCAL\tDEVICE IP\tEXPIRES\tCLOSE REASON');
    expect(listed.find((l) => l.startsWith(prn))).toMatch(new RegExp(`^${prn}\tEI-ML-0001\t7777\topen\t${address}\t`));

    const serverIfs = hostLinks().match(/vfwg\d+/g) ?? [];
    expect(serverIfs.length).toBe(1);
    const pids = wgGoFor(serverIfs[0] as string);
    expect(pids.length).toBe(1);
    cliBackend?.kill('SIGKILL');
    await until(() => cliBackend?.signalCode === 'SIGKILL' && wgGoFor(serverIfs[0] as string).length === 0 && !hostLinks().includes(`${serverIfs[0]}:`), 20_000);
    await expect(roundTrip(address, 'x')).rejects.toThrow(/ECONNREFUSED/);

    adminUrl = await startCli();
    admin = createAdminClient(adminUrl, readFileSync(join(home, 'admin-token'), 'utf8').trim());
    await until(() => vfleet(['tunnel', 'ls', '--admin-url', adminUrl]).stdout.includes(address), 20_000);
    expect(await roundTrip(address, 'resumed')).toBe('resumed');
    const closed = vfleet(['tunnel', 'close', prn, '--admin-url', adminUrl]);
    expect(closed.stdout.trim()).toBe(`${prn} closed (server_requested_close)`);
    await until(() => deviceTunnelIfs().length === 0 && nsWgGo().length === 0 && !/vfwg\d+:/.test(hostLinks()), 20_000);
    expect(vfleet(['tunnel', 'EI-ML-0001', '22', '--admin-url', adminUrl, '--timeout', '2']).stderr).toMatch(/did not open it within 2 s .*port 22 not in its service_ports/);
  }, 180_000);

  it('the agent takes its interfaces down when it stops and keeps the config; restarted, it resumes the tunnel (a device reboot)', async () => {
    const t = await openTunnel({ client: admin, device: 'EI-ML-0001', port: ECHO_PORT, ttlSeconds: 600 });
    const [ifname] = deviceTunnelIfs();
    expect(await stopAgent()).toBe(0);
    expect(deviceTunnelIfs()).toEqual([]);
    expect(nsWgGo()).toEqual([]);
    expect(existsSync(join(dir, 'root', 'tmp', `${ifname}.conf`))).toBe(true);

    const ups = agentLog.filter((l) => l.includes(`Tunnel ${t.prn} interface ${ifname} up`)).length;
    await startAgent();
    await until(() => agentLog.filter((l) => l.includes(`Tunnel ${t.prn} interface ${ifname} up`)).length > ups, 20_000);
    expect(await roundTrip(t.local_address as string, 'after the device rebooted')).toBe('after the device rebooted');

    expect(await stopAgent()).toBe(0);
    expect(deviceTunnelIfs()).toEqual([]);
    expect(nsWgGo()).toEqual([]);
  });
});
