import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { haveTools, run } from '@vfleet/core/test-support';
import { initWorkspace } from '../../workspace/init.js';
import { generateDevices } from '../../devices/generate.js';
import { startBackend, type Backend } from '../../backend/server.js';
import { createAdminClient, type AdminClient } from '../../backend/admin-client.js';
import { seedEvk } from '../../backend/evk-seed.js';
import { REBOOT_EXIT_CODE } from '../../agent/agent.js';
import { deviceEnv, until } from '../../test-support/device.js';
import { bundleAgent, repoRoot } from '../image.js';
import { BACKEND_HOST_NAME } from '../types.js';
import { createNamespaceRuntime, namespaceFstab, privateHostDirs, type NamespaceRuntime, type NamespaceRuntimeOptions } from './namespace.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot && process.env['CI'] === 'true') throw new Error('namespace runtime tests need root in CI');
const enabled = isRoot && haveTools('ip', 'unshare', 'capsh', 'flock');
const tag = randomBytes(2).toString('hex');
const root = mkdtempSync(join(tmpdir(), 'vft-ns-'));
const home = join(root, 'home');
const devicesDir = join(root, 'devices');

// the directory goes even when the suite is skipped
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('namespaceFstab', () => {
  const dev = { devSkeleton: '/h/run/namespace-dev', procReadOnly: ['/proc/sys', '/proc/bus'], tun: true, hidden: [] };
  it('lists the overlay, a /dev of its own, /proc with read-only parts, a read-only /sys, /etc/peridiod, its own private directories and /run, the read-only and the hidden directories in mount order, paths escaped', () => {
    const text = namespaceFstab({ id: 'D-1', merged: '/w/a b/merged', deviceDir: '/d/a b', work: '/w/a b/work', readOnly: ['/repo', '/h/x\ty'], ...dev, hidden: ['/d', '/h'], own: ['/root', '/var/lib/docker'] });
    const m = '/w/a\\040b/merged';
    expect(text.split('\n')).toEqual([
      `vfleet-ns-D-1 ${m} overlay lowerdir=/,upperdir=/d/a\\040b/root,workdir=/w/a\\040b/work 0 0`,
      `/h/run/namespace-dev ${m}/dev none bind,ro,nosuid,noexec 0 0`,
      ...['null', 'zero', 'full', 'random', 'urandom', 'tty'].map((n) => `/dev/${n} ${m}/dev/${n} none bind 0 0`),
      `/dev/net/tun ${m}/dev/net/tun none bind 0 0`,
      `devpts ${m}/dev/pts devpts newinstance,ptmxmode=0666,mode=0620,gid=5,nosuid,noexec 0 0`,
      `shm ${m}/dev/shm tmpfs mode=1777,size=65536k,nosuid,nodev,noexec 0 0`,
      `proc ${m}/proc proc nosuid,nodev,noexec 0 0`,
      `${m}/proc/sys ${m}/proc/sys none bind,ro 0 0`,
      `${m}/proc/bus ${m}/proc/bus none bind,ro 0 0`,
      `sysfs ${m}/sys sysfs ro,nosuid,nodev,noexec 0 0`,
      `/d/a\\040b ${m}/etc/peridiod none bind,X-mount.mkdir 0 0`,
      `/d/a\\040b/root/root ${m}/root none bind,nosuid,nodev 0 0`,
      `/d/a\\040b/root/var/lib/docker ${m}/var/lib/docker none bind,nosuid,nodev 0 0`,
      `run ${m}/run tmpfs mode=0755,size=16m,nosuid,nodev 0 0`,
      `/repo ${m}/repo none bind,ro,X-mount.mkdir 0 0`,
      `/h/x\\011y ${m}/h/x\\011y none bind,ro,X-mount.mkdir 0 0`,
      `none ${m}/d tmpfs mode=0755,size=64k,nosuid,nodev,noexec 0 0`,
      `none ${m}/h tmpfs mode=0755,size=64k,nosuid,nodev,noexec 0 0`,
      // the read-only directory under a hidden one, bound again on top
      `/h/x\\011y ${m}/h/x\\011y none bind,ro,X-mount.mkdir 0 0`,
      '',
    ]);
  });

  it('privateHostDirs: every top-level directory but the system ones, links not followed, and the nested ones that hold secrets', () => {
    const dirs = new Set(['/bin', '/etc', '/home', '/root', '/tmp', '/usr', '/var', '/work', '/srv', '/etc/ssh', '/var/lib', '/var/backups', '/var/tmp', '/run', '/opt']);
    // /lib is a link into /usr here; /notes is a file; this host has no /etc/wireguard, /var/log...
    expect(privateHostDirs(['bin', 'etc', 'home', 'lib', 'notes', 'opt', 'root', 'run', 'srv', 'tmp', 'usr', 'var', 'work'], (p) => dirs.has(p))).toEqual([
      '/etc/ssh', '/home', '/root', '/srv', '/tmp', '/var/backups', '/var/lib', '/var/tmp', '/work',
    ]);
  });

  it('refuses a device directory an overlay option cannot hold, naming it', () => {
    expect(() => namespaceFstab({ id: 'D-1', merged: '/m', deviceDir: '/d/a,b', work: '/w', readOnly: [], ...dev })).toThrow(/"\/d\/a,b": an overlay path cannot hold/);
  });

  it('refuses a backslash in an overlay path: overlayfs takes it as an escape, and /d/a\\b/root became /d/ab/root', () => {
    expect(() => namespaceFstab({ id: 'D-1', merged: '/m', deviceDir: '/d/a\\b', work: '/w', readOnly: [], ...dev })).toThrow('namespace runtime: "/d/a\\\\b": an overlay path cannot hold');
    expect(() => namespaceFstab({ id: 'D-1', merged: '/m', deviceDir: '/d/ab', work: '/w/x\\y', readOnly: [], ...dev })).toThrow('"/w/x\\\\y"');
  });
});

describe.runIf(enabled)('namespace runtime against the embedded backend', () => {
  let rt: NamespaceRuntime;
  let options: NamespaceRuntimeOptions;
  let backend: Backend;
  let admin: AdminClient;
  const lines = new Map<string, string[]>();
  const launch = (id: string) => ({
    id, deviceDir: join(devicesDir, id), env: {},
    onLine: (line: string) => lines.set(id, [...(lines.get(id) ?? []), line]),
  });
  const device = (id: string) => backend.store.devices.getByIdentifier(backend.store.products.getByName('edge-inference')?.uuid ?? '', id);
  const online = (id: string) => {
    const uuid = device(id)?.uuid;
    return uuid !== undefined && backend.socket.isOnline(uuid) ? uuid : undefined;
  };
  const leftovers = () => ({
    netns: run('ip', ['netns', 'list']).split('\n').filter((l) => l.startsWith(`vft-ns-${tag}-`)),
    veths: run('ip', ['-o', 'link', 'show', 'type', 'veth']).split('\n').filter((l) => l.includes(`vftv${tag}`)),
    bridge: existsSync(`/sys/class/net/vft-br-${tag}`),
    mounts: readFileSync('/proc/self/mounts', 'utf8').split('\n').filter((l) => l.startsWith('vfleet-ns-') || l.includes(root)),
  });

  beforeAll(async () => {
    initWorkspace({ home });
    const { file } = await bundleAgent({ outDir: join(root, 'bundle') });
    options = { home, bridge: `vft-br-${tag}`, subnet16: '10.217', netnsPrefix: `vft-ns-${tag}-`, vethPrefix: `vftv${tag}`, agentCommand: [process.execPath, file] };
    rt = createNamespaceRuntime(options);
    const pre = await rt.preflight(200);
    expect(pre.problems).toEqual([]);
    await rt.prepare?.();
    expect(rt.backendListenHosts()).toEqual(['10.217.0.1']);
    backend = await startBackend({ home, port: 0, adminPort: 0, binaryPort: 0, publicHost: BACKEND_HOST_NAME, listenHosts: rt.backendListenHosts() });
    admin = createAdminClient(backend.admin.url, backend.adminToken);
    await seedEvk({ home, client: admin, sizeScale: 1 / 4096 });
    await generateDevices({
      home, out: devicesDir, cohort: 'release', force: false, deviceApi: backend.deviceApiUrl, deviceApiCa: backend.deviceApiCaPath,
      env: 'file', diskBytes: 0, specs: ['EI-ML-0001', 'EI-ML-0002'].map((id) => ({ id, cohort: 'release', tags: ['canary'], target: 'arm64-v8' })),
    });
  }, 120_000);

  afterAll(async () => {
    await rt?.cleanup();
    await backend?.close();
  }, 60_000);

  it('a device joins through vfleet-backend on the bridge; its writes land in its own root; reboot exits with the reboot code', async () => {
    const hostHad = existsSync('/opt/edge-inference');
    const dev = await rt.start(launch('EI-ML-0001'));
    await until(() => online('EI-ML-0001') !== undefined, 30_000);
    // the backend sees the join before the agent's log line about it has come through the pipe
    await until(() => (lines.get('EI-ML-0001') ?? []).some((l) => l.includes('[Cloud Socket] Joined Device channel')), 10_000);
    expect(readFileSync(join(devicesDir, 'EI-ML-0001', 'root', 'etc', 'hosts'), 'utf8')).toContain(`10.217.0.1\t${BACKEND_HOST_NAME}`);
    // the scripts it runs as root are the owner's alone
    const scripts = join(home, 'run', 'namespace-scripts');
    expect([scripts, join(scripts, 'host.sh'), join(scripts, 'init.sh')].map((p) => (statSync(p).mode & 0o777).toString(8))).toEqual(['700', '600', '600']);

    const releases = Object.values(await admin.call('GET', '/api/v1/releases'))[0] as Array<{ uuid: string; name: string }>;
    await admin.call('PATCH', `/api/v1/releases/${releases.find((r) => r.name === 'release-r1002')?.uuid ?? ''}`, { disabled: false });
    await until(() => device('EI-ML-0001')?.reported_version === '2.0.0', 45_000);
    // the file installer wrote /opt/edge-inference inside the device: the overlay's upper layer, not the host
    expect(existsSync(join(devicesDir, 'EI-ML-0001', 'root', 'opt', 'edge-inference'))).toBe(true);
    expect(existsSync('/opt/edge-inference')).toBe(hostHad);
    expect(deviceEnv(join(devicesDir, 'EI-ML-0001')).get('peridio_vsn_current')).toBe('2.0.0');

    expect(backend.socket.push(online('EI-ML-0001') ?? '', 'device', 'reboot', {})).toBe(true);
    expect(await dev.exit).toMatchObject({ code: REBOOT_EXIT_CODE });
    expect(leftovers().netns).toEqual([]);
  }, 90_000);

  it('stop is graceful (exit 0), kill is SIGKILL, two devices get their own addresses', async () => {
    const a = await rt.start(launch('EI-ML-0001'));
    const b = await rt.start(launch('EI-ML-0002'));
    await until(() => online('EI-ML-0001') !== undefined && online('EI-ML-0002') !== undefined, 30_000);
    const addr = (ns: string) => run('ip', ['-n', ns, '-o', '-4', 'addr', 'show', 'dev', 'eth0']).match(/inet (\S+)/)?.[1];
    expect(new Set([addr(`vft-ns-${tag}-EI-ML-0001`), addr(`vft-ns-${tag}-EI-ML-0002`)]).size).toBe(2);
    await a.stop(5_000);
    expect(await a.exit).toEqual({ code: 0, signal: null });
    await b.kill();
    expect(await b.exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(leftovers().netns).toEqual([]);
    expect(leftovers().veths).toEqual([]);
  }, 60_000);

  it('inside: its own hostname, address and /etc/peridiod, the repository read-only, the host untouched', async () => {
    const probe = createNamespaceRuntime({
      ...options,
      agentCommand: ['/bin/sh', '-c', 'echo "host=$(hostname) $(cat /proc/sys/kernel/hostname)"; ip -o -4 addr show dev eth0; ip -o link show lo; ls /etc/peridiod/peridio.json; mkdir /work-probe-$$ && echo upper-ok; touch "$0/ns-probe" 2>/dev/null || echo repo-ro', repoRoot()],
    });
    const before = readFileSync('/proc/sys/kernel/hostname', 'utf8');
    const dev = await probe.start(launch('EI-ML-0002'));
    expect(await dev.exit).toEqual({ code: 0, signal: null });
    const out = (lines.get('EI-ML-0002') ?? []).join('\n');
    lines.delete('EI-ML-0002');
    expect(out).toContain('host=EI-ML-0002 EI-ML-0002');
    expect(out).toMatch(/eth0\s+inet 10\.217\.\d+\.\d+\/16/);
    expect(out).toMatch(/lo: <[^>]*UP/);
    expect(out).toContain('/etc/peridiod/peridio.json');
    expect(out).toContain('upper-ok');
    expect(out).toContain('repo-ro');
    expect(readFileSync('/proc/sys/kernel/hostname', 'utf8')).toBe(before);
    expect(existsSync(join(repoRoot(), 'ns-probe'))).toBe(false);
    expect(leftovers().netns).toEqual([]);
  }, 30_000);

  it('a netns that cannot be made fails the start with ip\'s reason, and leaves no veth', async () => {
    // a directory where the netns file goes: `ip netns add` cannot create it
    const blocker = `/run/netns/vft-ns-${tag}-EI-ML-BAD`;
    mkdirSync(blocker, { recursive: true });
    try {
      await expect(rt.start({ ...launch('EI-ML-BAD'), deviceDir: join(devicesDir, 'EI-ML-0002') })).rejects.toThrow(/EI-ML-BAD: could not make netns vft-ns-\w+-EI-ML-BAD and its veth on vft-br-\w+: exit 1: .*netns/);
      expect(leftovers().veths).toEqual([]);
      expect(lines.get('EI-ML-BAD')).toBeUndefined();
    } finally {
      rmdirSync(blocker);
    }
  });

  it('devices started at once are all recorded in run/namespace.json, and leave it as they stop', async () => {
    const registry = () => (JSON.parse(readFileSync(join(home, 'run', 'namespace.json'), 'utf8')) as Array<{ netns: string }>).map((s) => s.netns).sort();
    const [a, b] = await Promise.all([rt.start(launch('EI-ML-0001')), rt.start(launch('EI-ML-0002'))]);
    expect(registry()).toEqual([`vft-ns-${tag}-EI-ML-0001`, `vft-ns-${tag}-EI-ML-0002`]);
    // (a SIGTERM before the agent handles it is lost on PID 1 of the namespace: stop once they run)
    await until(() => online('EI-ML-0001') !== undefined && online('EI-ML-0002') !== undefined, 30_000);
    await Promise.all([a?.stop(5_000), b?.stop(5_000)]);
    expect(await a?.exit).toEqual({ code: 0, signal: null });
    expect(registry()).toEqual([]);
  }, 30_000);

  it('refuses a device directory that is not there, naming it, and leaves nothing', async () => {
    await expect(rt.start(launch('NOT-THERE'))).rejects.toThrow(/NOT-THERE: .*NOT-THERE has no peridio.json; not a device directory/);
    expect(leftovers().netns).toEqual([]);
  });

  it('cleanup after a crash removes the netns, veth, processes and bridge it made, and leaves no mount', async () => {
    await rt.start(launch('EI-ML-0002'));
    await until(() => online('EI-ML-0002') !== undefined, 30_000);
    const report = await createNamespaceRuntime(options).cleanup();
    expect(report.errors).toEqual([]);
    // the netns goes by cleanup's delete or by this runtime's teardown of the killed device, whichever is first
    const kinds = new Set(report.removed.map((r) => r.kind).filter((k) => k !== 'netns'));
    expect([...kinds].sort()).toEqual(['bridge', 'process']);
    expect(leftovers()).toEqual({ netns: [], veths: [], bridge: false, mounts: [] });
  }, 60_000);

  it('with the default names, cleanup in another workspace leaves this workspace\'s device alone', async () => {
    const shared = { bridge: `vft-br-${tag}`, subnet16: '10.217' };
    const mine = createNamespaceRuntime({ home, ...shared, ...(options.agentCommand ? { agentCommand: options.agentCommand } : {}) });
    await mine.prepare?.();
    const dev = await mine.start(launch('EI-ML-0001'));
    await until(() => online('EI-ML-0001') !== undefined, 30_000);
    const ours = run('ip', ['netns', 'list']).split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.endsWith('-EI-ML-0001') && n.startsWith('vfleet-'));
    expect(ours).toHaveLength(1);
    // even when the other workspace's registry names it
    mkdirSync(join(root, 'other-home', 'run'), { recursive: true });
    writeFileSync(join(root, 'other-home', 'run', 'namespace.json'), JSON.stringify([{ id: 'EI-ML-0001', netns: ours[0], veth: 'vfzzzzz2', address: '10.217.0.2', index: 2 }]));
    const other = createNamespaceRuntime({ home: join(root, 'other-home'), ...shared });
    const report = await other.cleanup();
    expect(report.removed).toEqual([]);
    expect(online('EI-ML-0001')).toBeDefined();
    const mineCleanup = await mine.cleanup();
    // the device's processes are killed; its netns goes either by cleanup's own delete or by the runtime's
    // teardown of the ended device, whichever comes first (then it is not in the report), so it is checked below
    expect(mineCleanup.removed.map((r) => r.kind)).toContain('process');
    expect(mineCleanup.errors).toEqual([]);
    expect(await dev.exit).toMatchObject({ signal: 'SIGKILL' });
    expect(run('ip', ['netns', 'list'])).not.toContain(ours[0]);
  }, 60_000);
});
