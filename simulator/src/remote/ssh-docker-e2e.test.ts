// End to end, issue #6 item 4: a device in the agent image (docker runtime) against the embedded
// backend with the WireGuard data plane; a tunnel to port 22, the EVK pre-up hook starts sshd, and
// `ssh -p <local port> peridio@127.0.0.1` logs in with the EVK password. Closing the tunnel stops
// sshd (pre-down hook) and takes both WireGuard ends and the listener down; cleanup leaves nothing.
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveTools, run } from '@vfleet/core/test-support';
import { initWorkspace } from '../workspace/init.js';
import { loadProduct } from '../product/product.js';
import { generateDevices } from '../devices/generate.js';
import { evkSpecs } from '../devices/spec.js';
import { startBackend, type Backend } from '../backend/server.js';
import { createAdminClient } from '../backend/admin-client.js';
import { seedEvk } from '../backend/evk-seed.js';
import { serverPlaneMissing } from '../backend/wireguard/tunnel-plane.js';
import { until } from '../test-support/device.js';
import { buildAgentImage } from '../fleet/image.js';
import { createDockerRuntime, type DockerRuntime } from '../fleet/runtimes/docker.js';
import { homeHash } from '../fleet/runtimes/netutil.js';
import { engineAnswers } from '../fleet/runtimes/test-engine.js';
import { BACKEND_HOST_NAME, type RunningDevice } from '../fleet/types.js';
import { closeTunnel, openTunnel } from './tunnel-client.js';

const DEVICE = 'EI-ML-0001';
const tag = randomBytes(3).toString('hex');
const image = `vft-ssh/agent:${tag}`;
const prefix = `vft-ssh-${tag}-`;
const container = `${prefix}${DEVICE}`;

function gate(): boolean {
  if (!haveTools('docker', 'ssh', 'sshpass') || !engineAnswers('docker')) return false;
  // the backend's end of the tunnel needs wireguard-go as root with /dev/net/tun; the offline image, the host's sshd
  const why = serverPlaneMissing() ?? (existsSync('/usr/sbin/sshd') ? undefined : 'no /usr/sbin/sshd on this host (openssh-server) for the offline image');
  if (why === undefined) return true;
  if (process.env['CI'] === 'true') throw new Error(`the ssh-through-a-tunnel test cannot run in CI: ${why}`);
  console.warn(`skipping the ssh-through-a-tunnel test: ${why}`);
  return false;
}
const enabled = gate();

const root = mkdtempSync(join(tmpdir(), 'vft-ssh-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A tool run without blocking the event loop: the backend in this process forwards the bytes. */
function exec(file: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Inside the device's container. */
const inDevice = async (script: string) => {
  const r = await exec('docker', ['exec', container, 'sh', '-c', script]);
  if (r.code !== 0) throw new Error(`docker exec ${container} ${script}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
};
/** Processes named `comm` in the container, zombies included (the container's init reaps them). */
const live = async (comm: string) =>
  (await inDevice('for s in /proc/[0-9]*/stat; do cat "$s" 2>/dev/null; echo; done'))
    .split('\n')
    .map((l) => /^(\d+) \((.*)\) (\S)/.exec(l))
    .filter((m) => m !== null && m[2] === comm)
    .map((m) => Number(m?.[1]));
const liveSshd = () => live('sshd');
const deviceTunnelIfs = async () => (await inDevice('ip -o link show')).match(/peridio-[A-Z2-7]{7}/g) ?? [];
const hostLinks = () => readdirSync('/sys/class/net');

async function untilAsync(what: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
}

const ssh = (port: string, password: string, command: string) =>
  exec('sshpass', [
    '-e', 'ssh', '-F', '/dev/null', '-p', port,
    '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
    '-o', 'PreferredAuthentications=password', '-o', 'PubkeyAuthentication=no', '-o', 'NumberOfPasswordPrompts=1',
    '-o', 'ConnectTimeout=10',
    'peridio@127.0.0.1', command,
  ], { SSHPASS: password });

/** Resolves when a TCP connection to `address` is refused. */
const refused = (address: string) =>
  new Promise<boolean>((resolve) => {
    const [host, port] = address.split(':') as [string, string];
    const s = connect({ host, port: Number(port) });
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });

describe.runIf(enabled)('ssh through a remote access tunnel into a device in the agent image (docker)', () => {
  it('the pre-up hook starts sshd, ssh peridio@127.0.0.1 runs a command, close stops sshd and leaves nothing', async () => {
    const home = join(root, 'home');
    const devicesDir = join(root, 'devices');
    initWorkspace({ home });
    const built = await buildAgentImage({ offline: true, tag: image });
    expect(built.missingTools.filter((t) => /ssh|openssl|wg|wireguard|^ip$/.test(t))).toEqual([]);
    let rt: DockerRuntime | undefined;
    let backend: Backend | undefined;
    let device: RunningDevice | undefined;
    const lines: string[] = [];
    try {
      rt = createDockerRuntime({ home, image, namePrefix: prefix, networkPrefix: `${prefix}net-` });
      expect((await rt.preflight(1)).problems).toEqual([]);
      await rt.prepare?.();
      backend = await startBackend({ home, port: 0, adminPort: 0, binaryPort: 0, publicHost: BACKEND_HOST_NAME, listenHosts: rt.backendListenHosts() });
      const admin = createAdminClient(backend.admin.url, backend.adminToken);
      await seedEvk({ home, client: admin, sizeScale: 1 / 4096 });
      await generateDevices({
        home, out: devicesDir, cohort: 'release', env: 'file', diskBytes: 0, force: false, specs: evkSpecs(loadProduct()).slice(0, 1),
        deviceApi: backend.deviceApiUrl, deviceApiCa: backend.deviceApiCaPath,
      });
      device = await rt.start({ id: DEVICE, deviceDir: join(devicesDir, DEVICE), env: { PERIDIO_LOG_LEVEL: 'debug' }, onLine: (l) => lines.push(l) });
      await until(() => lines.some((l) => l.includes('[Cloud Socket] Tunnels synchronizing')), 30_000);
      expect(await liveSshd()).toEqual([]);

      const t = await openTunnel({ client: admin, device: DEVICE, port: 22, ttlSeconds: 600, timeoutMs: 30_000 });
      expect(t.state).toBe('open');
      const address = t.local_address as string;
      expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
      const port = address.split(':')[1] as string;
      // started by the EVK pre-up hook (nothing else in the image starts it), counted once
      expect((await liveSshd()).length).toBeGreaterThan(0);
      expect((await inDevice('cat /tmp/peridio_counter_22')).trim()).toBe('1');
      const [ifname] = await deviceTunnelIfs();
      expect(ifname).toMatch(/^peridio-[A-Z2-7]{7}$/);
      const serverIf = (await backend.tunnels.dataPlane(t.uuid))?.interface as string;
      expect(hostLinks()).toContain(serverIf);

      const ok = await ssh(port, 'peridio', 'echo $((6*7)); id -un');
      expect({ code: ok.code, stdout: ok.stdout, stderr: ok.stderr }).toEqual({ code: 0, stdout: '42\nperidio\n', stderr: '' });
      // the password is checked
      const refusedLogin = await ssh(port, 'not-the-password', 'echo in');
      expect(refusedLogin.code).not.toBe(0);
      expect(refusedLogin.stdout).toBe('');
      expect(refusedLogin.stderr).toMatch(/Permission denied/);

      const closed = await closeTunnel(admin, t.uuid);
      expect(closed).toMatchObject({ state: 'closed', close_reason: 'server_requested_close' });
      await untilAsync(async () => lines.some((l) => l.includes(`Tunnel ${t.prn} terminated reason: server_requested_close`)), 20_000);
      // the pre-down hook stopped sshd and dropped the counter; both WireGuard ends and the listener are gone
      await untilAsync(async () => (await liveSshd()).length === 0, 10_000);
      expect(await inDevice('[ -e /tmp/peridio_counter_22 ] && echo there || echo gone')).toBe('gone\n');
      expect(await deviceTunnelIfs()).toEqual([]);
      expect(await live('wireguard-go')).toEqual([]);
      await untilAsync(async () => !hostLinks().includes(serverIf), 10_000);
      expect(await backend.tunnels.dataPlane(t.uuid)).toBeUndefined();
      expect(await refused(address)).toBe(true);
    } finally {
      await device?.stop(5_000).catch(() => undefined);
      await backend?.close();
      const report = await rt?.cleanup();
      run('docker', ['image', 'rm', '-f', image]);
      expect(report?.errors ?? []).toEqual([]);
    }
    const leftovers = [
      ...run('docker', ['ps', '-a', '--filter', `label=vfleet.home=${homeHash(home)}`, '--format', '{{.Names}}']).split('\n'),
      ...run('docker', ['network', 'ls', '--filter', `label=vfleet.home=${homeHash(home)}`, '--format', '{{.Name}}']).split('\n'),
    ].filter(Boolean);
    expect(leftovers).toEqual([]);
  }, 120_000);
});
