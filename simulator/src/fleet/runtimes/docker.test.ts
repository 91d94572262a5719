import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { haveTools, run } from '@vfleet/core/test-support';
import { spawnSync } from 'node:child_process';
import { initWorkspace } from '../../workspace/init.js';
import { generateDevices } from '../../devices/generate.js';
import { startBackend, type Backend } from '../../backend/server.js';
import { createAdminClient, type AdminClient } from '../../backend/admin-client.js';
import { seedEvk } from '../../backend/evk-seed.js';
import { REBOOT_EXIT_CODE } from '../../agent/agent.js';
import { deviceEnv, until } from '../../test-support/device.js';
import { buildAgentImage } from '../image.js';
import { BACKEND_HOST_NAME, type RunningDevice } from '../types.js';
import { createDockerRuntime, isPeridiodImage, loopFwEnvConfig, networkGateway, type DockerRuntime } from './docker.js';
import { homeHash } from './netutil.js';
import { engineAnswers } from './test-engine.js';

describe('docker runtime helpers', () => {
  it('reads the gateway from docker and podman network inspect output', () => {
    expect(networkGateway(JSON.stringify([{ IPAM: { Config: [{ Subnet: '172.18.0.0/16', Gateway: '172.18.0.1' }] } }]))).toBe('172.18.0.1');
    expect(networkGateway(JSON.stringify([{ subnets: [{ subnet: '10.89.0.0/24', gateway: '10.89.0.1' }] }]))).toBe('10.89.0.1');
    expect(networkGateway('[{}]')).toBeUndefined();
  });
  it('knows the real peridiod image and moves disk env copies to the loop device', () => {
    expect(isPeridiodImage('peridio/peridiod:3.4.1')).toBe(true);
    expect(isPeridiodImage('docker.io/peridio/peridiod')).toBe(true);
    expect(isPeridiodImage('vfleet/agent:dev')).toBe(false);
    expect(loopFwEnvConfig('/etc/peridiod/disk.img 0x100000 0x20000\n/etc/peridiod/disk.img 0x120000 0x20000\n'))
      .toBe('/dev/mmcblk0 0x100000 0x20000\n/dev/mmcblk0 0x120000 0x20000\n');
    expect(loopFwEnvConfig('/etc/peridiod/uboot.env 0x0 0x20000\n')).toBe('/etc/peridiod/uboot.env 0x0 0x20000\n');
  });
});

const haveToolsQuiet = (t: string) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0;

describe('docker runtime start failures (a scripted engine on PATH)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vft-fake-engine-'));
  const home = join(dir, 'home');
  const calls = join(dir, 'calls');
  const made = join(dir, 'made');
  const savedPath = process.env['PATH'];
  beforeAll(() => {
    // run: made then refused at start (mode "start") or refused at create ("create"); inspect finds only what run made
    writeFileSync(join(dir, 'podman'), [
      '#!/bin/sh',
      `echo "$*" >> ${calls}`,
      'case "$1 $2" in',
      `  "network inspect") echo '[{"labels":{"vfleet.home":"${homeHash(home)}"},"subnets":[{"subnet":"10.89.0.0/24","gateway":"10.89.0.1"}]}]' ;;`,
      `  "container inspect") [ -e ${made} ] && echo "c0ffee ${homeHash(home)}" || { echo "Error: no such container" >&2; exit 125; } ;;`,
      `  "rm -f") rm -f ${made} ;;`,
      `  "run --detach") if [ "$(cat ${join(dir, 'mode')})" = start ]; then touch ${made}; echo 'Error response from daemon: error gathering device information while adding custom device "/dev/gone": no such file or directory' >&2; else echo 'Error response from daemon: invalid mount config for type "bind": bind source path does not exist: /gone' >&2; fi; echo "See 'podman run --help'." >&2; exit 126 ;;`,
      'esac',
      '',
    ].join('\n'), { mode: 0o755 });
    process.env['PATH'] = `${dir}:${savedPath ?? ''}`;
  });
  afterAll(() => {
    process.env['PATH'] = savedPath;
    rmSync(dir, { recursive: true, force: true });
  });
  const start = (mode: string) => {
    writeFileSync(join(dir, 'mode'), mode);
    writeFileSync(calls, '');
    return createDockerRuntime({ home, engine: 'podman' }).start({ id: 'EI-ML-0001', deviceDir: dir, env: {}, onLine: () => undefined });
  };

  it('removes a container the engine made but could not start, and says it could not start', async () => {
    await expect(start('start')).rejects.toThrow(/^podman: cannot start the container of EI-ML-0001: Error response from daemon: error gathering device information .*"\/dev\/gone": no such file or directory$/);
    // by the id inspect gave: the name may be someone else's by then
    expect(readFileSync(calls, 'utf8')).toMatch(/^rm -f c0ffee$/m);
    expect(existsSync(made)).toBe(false);
  });

  it('removes nothing when the engine made nothing, and says it could not create', async () => {
    await expect(start('create')).rejects.toThrow(/^podman: cannot create the container of EI-ML-0001: Error response from daemon: invalid mount config .*\/gone$/);
    expect(readFileSync(calls, 'utf8')).not.toMatch(/^rm /m);
  });
});

describe('docker runtime preflight', () => {
  it('names a missing engine instead of failing later', async () => {
    const rt = createDockerRuntime({ home: tmpdir(), engine: 'podman' });
    const pre = await rt.preflight(1);
    if (haveToolsQuiet('podman')) return; // a host with podman: nothing to prove here
    expect(pre.ok).toBe(false);
    expect(pre.problems[0]).toMatch(/^podman engine does not answer: podman is not installed/);
  });
});

const enabled = haveTools('docker') && engineAnswers('docker');
const isRoot = process.getuid?.() === 0;
const tag = `vft-docker/agent:${randomBytes(3).toString('hex')}`;
const prefix = `vft-dk-${randomBytes(2).toString('hex')}-`;
const root = mkdtempSync(join(tmpdir(), 'vft-docker-'));
const home = join(root, 'home');
const devicesDir = join(root, 'devices');

// the directory goes even when the suite is skipped
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.runIf(enabled)('docker runtime against the embedded backend', () => {
  let rt: DockerRuntime;
  let backend: Backend;
  let admin: AdminClient;
  const lines = new Map<string, string[]>();
  const launch = (id: string) => ({
    id, deviceDir: join(devicesDir, id), env: {},
    onLine: (line: string) => lines.set(id, [...(lines.get(id) ?? []), line]),
  });
  const online = (id: string) => {
    const productUuid = backend.store.products.getByName('edge-inference')?.uuid ?? '';
    const uuid = backend.store.devices.getByIdentifier(productUuid, id)?.uuid;
    return uuid !== undefined && backend.socket.isOnline(uuid) ? uuid : undefined;
  };
  const leftovers = () => ({
    containers: run('docker', ['ps', '-a', '--filter', `label=vfleet.home=${homeHash(home)}`, '--format', '{{.Names}}']).trim(),
    networks: run('docker', ['network', 'ls', '--filter', `label=vfleet.home=${homeHash(home)}`, '--format', '{{.Name}}']).trim(),
  });

  beforeAll(async () => {
    initWorkspace({ home });
    await buildAgentImage({ offline: true, tag });
    rt = createDockerRuntime({ home, image: tag, namePrefix: prefix, networkPrefix: `${prefix}net-`, ...(isRoot ? { disk: 'loop' as const } : {}) });
    const pre = await rt.preflight(2);
    expect(pre.problems).toEqual([]);
    expect(pre.ceilings[0]).toMatchObject({ what: 'bridge network endpoints', limit: 30_000 });
    await rt.prepare?.();
    expect(rt.backendListenHosts()).toHaveLength(1);
    backend = await startBackend({ home, port: 0, adminPort: 0, binaryPort: 0, publicHost: BACKEND_HOST_NAME, listenHosts: rt.backendListenHosts() });
    admin = createAdminClient(backend.admin.url, backend.adminToken);
    await seedEvk({ home, client: admin, sizeScale: 1 / 4096 });
    const common = { home, out: devicesDir, cohort: 'release', force: false, deviceApi: backend.deviceApiUrl, deviceApiCa: backend.deviceApiCaPath };
    await generateDevices({ ...common, env: 'file', diskBytes: 0, specs: [{ id: 'EI-ML-0001', cohort: 'release', tags: ['canary'], target: 'arm64-v8' }] });
    await generateDevices({ ...common, env: 'disk', diskBytes: 16 * 2 ** 20, specs: [{ id: 'EI-ML-0002', cohort: 'release', tags: ['canary'], target: 'arm64-v8' }] });
  }, 180_000);

  afterAll(async () => {
    await rt?.cleanup();
    await backend?.close();
    run('docker', ['image', 'rm', '-f', tag]);
  }, 60_000);

  it('a container joins the device channel through vfleet-backend on the network gateway; a reboot exits with the reboot code', async () => {
    const running: RunningDevice = await rt.start(launch('EI-ML-0001'));
    await until(() => online('EI-ML-0001') !== undefined, 30_000);
    expect(run('docker', ['inspect', '--format', '{{json .HostConfig.CapAdd}} {{index .Config.Labels "vfleet.device"}}', `${prefix}EI-ML-0001`]).trim())
      .toMatch(/NET_ADMIN.* EI-ML-0001$/);
    await until(() => (lines.get('EI-ML-0001') ?? []).includes('[Cloud Socket] Joined Device channel') || (lines.get('EI-ML-0001') ?? []).some((l) => l.endsWith('[Cloud Socket] Joined Device channel')), 10_000);
    expect(backend.socket.push(online('EI-ML-0001') ?? '', 'device', 'reboot', {})).toBe(true);
    expect(await running.exit).toEqual({ code: REBOOT_EXIT_CODE, signal: null });
    expect(leftovers().containers).toBe('');
  }, 60_000);

  it('stop is graceful (exit 0) and kill is SIGKILL; launch env reaches the agent, not the command line', async () => {
    const a = await rt.start({ ...launch('EI-ML-0001'), env: { PERIDIO_LOG_LEVEL: 'debug', VFT_MULTI: 'line one\nline two' } });
    expect(run('docker', ['exec', `${prefix}EI-ML-0001`, 'sh', '-c', 'echo "$VFT_MULTI"'])).toBe('line one\nline two\n');
    await until(() => online('EI-ML-0001') !== undefined, 30_000);
    await a.stop(5_000);
    expect(await a.exit).toEqual({ code: 0, signal: null });
    const b = await rt.start(launch('EI-ML-0001'));
    await b.kill();
    expect(await b.exit).toEqual({ code: null, signal: 'SIGKILL' });
    // a container removed from outside is no clean stop (the fleet restarts it as a crash)
    const c = await rt.start(launch('EI-ML-0001'));
    run('docker', ['rm', '-f', `${prefix}EI-ML-0001`]);
    expect(await c.exit).toEqual({ code: null, signal: 'SIGKILL' });
  }, 60_000);

  it('states a missing image, the network ceiling, and refuses a device directory that is not there', async () => {
    const pre = await createDockerRuntime({ home, image: 'vft-none/none:0' }).preflight(2500);
    expect(pre.problems).toContain('image vft-none/none:0 is not there: vfleet image build --offline');
    const net = `vfleet-${homeHash(home).slice(0, 5)}-net-`;
    expect(pre.ceilings[0]?.note).toContain(`2500 devices use 3 network(s) ${net}0…${net}2`);
    await expect(rt.start(launch('NOT-THERE'))).rejects.toThrow(/cannot create the container of NOT-THERE: .*NOT-THERE/);
    expect(leftovers().containers).toBe('');
  }, 30_000);

  it("replaces a container of its own left by a crash, refuses a name someone else holds", async () => {
    const name = `${prefix}EI-ML-0001`;
    run('docker', ['create', '--name', name, '--label', `vfleet.home=${homeHash(home)}`, tag]);
    const dev = await rt.start(launch('EI-ML-0001'));
    await until(() => online('EI-ML-0001') !== undefined, 30_000);
    await dev.stop(5_000);
    run('docker', ['create', '--name', name, '--label', 'vfleet.home=someone-else', tag]);
    try {
      await expect(rt.start(launch('EI-ML-0001'))).rejects.toThrow(/exists and is not this fleet's \(label vfleet.home=someone-else\)/);
    } finally {
      run('docker', ['rm', '-f', name]);
    }
  }, 60_000);

  it.runIf(isRoot)('--disk loop: the device writes its env inside disk.img through /dev/mmcblk0 (r1001 → r1002), detached on stop', async () => {
    const dir = join(devicesDir, 'EI-ML-0002');
    expect(deviceEnv(dir).get('peridio_vsn_current')).toBe('1.1.0');
    const dev = await rt.start(launch('EI-ML-0002'));
    await until(() => online('EI-ML-0002') !== undefined, 30_000);
    const r1002 = Object.values(await admin.call('GET', '/api/v1/releases'))[0] as Array<{ uuid: string; name: string }>;
    await admin.call('PATCH', `/api/v1/releases/${r1002.find((r) => r.name === 'release-r1002')?.uuid ?? ''}`, { disabled: false });
    await until(() => backend.store.devices.getByIdentifier(backend.store.products.getByName('edge-inference')?.uuid ?? '', 'EI-ML-0002')?.reported_version === '2.0.0', 45_000);
    await dev.stop(5_000);
    expect(run('losetup', ['--list', '--noheadings', '--output', 'BACK-FILE'])).not.toContain(join(dir, 'disk.img'));
    expect(deviceEnv(dir).get('peridio_vsn_current')).toBe('2.0.0');
  }, 120_000);

  it('cleanup removes what this fleet made, found by its labels, even after a crash', async () => {
    await rt.start(launch('EI-ML-0001'));
    // a crashed orchestrator forgets its devices: a fresh runtime on the same home finds them
    const again = createDockerRuntime({ home, image: tag, namePrefix: prefix, networkPrefix: `${prefix}net-` });
    const report = await again.cleanup();
    expect(report.errors).toEqual([]);
    expect(report.removed).toEqual(expect.arrayContaining([{ kind: 'container', name: `${prefix}EI-ML-0001` }, { kind: 'network', name: `${prefix}net-0` }]));
    expect(leftovers()).toEqual({ containers: '', networks: '' });
  }, 60_000);
});
