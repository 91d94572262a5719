import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isVfleetError } from '@vfleet/core';
import { initWorkspace } from '../workspace/init.js';
import { generateDevices } from '../devices/generate.js';
import { startBackend, type Backend } from '../backend/server.js';
import { createAdminClient } from '../backend/admin-client.js';
import { seedEvk } from '../backend/evk-seed.js';
import { until } from '../test-support/device.js';
import { createFleet, MAX_LINE_CHARS, type Fleet } from './orchestrator.js';
import { createInprocRuntime } from './runtimes/inproc.js';
import { backendRebooter } from './backend-reboot.js';
import type { DeviceEvent, Runtime } from './types.js';
import { REBOOT_EXIT_CODE } from '../agent/agent.js';

const root = mkdtempSync(join(tmpdir(), 'vfleet-orch-'));
const home = join(root, 'home');
const devicesDir = join(root, 'devices');
let backend: Backend;
let fleet: Fleet | undefined;
const ids = ['OR-0001', 'OR-0002', 'OR-0003', 'OR-0004'];

beforeAll(async () => {
  initWorkspace({ home });
  backend = await startBackend({ home, port: 0, adminPort: 0, binaryPort: 0 });
  await seedEvk({ home, client: createAdminClient(backend.admin.url, backend.adminToken), sizeScale: 1 / 4096 });
  await generateDevices({
    home, out: devicesDir, cohort: 'release', env: 'file', diskBytes: 0, force: false,
    deviceApi: backend.deviceApiUrl, deviceApiCa: backend.deviceApiCaPath,
    specs: ids.map((id, i) => ({ id, cohort: 'release', tags: i % 2 === 0 ? ['even'] : ['odd'], target: 'arm64-v8' })),
  });
  // OR-0004's certificate is garbage: it cannot start, the others must not care
  writeFileSync(join(devicesDir, 'OR-0004', 'device-certificate.pem'), 'not a certificate\n');
}, 60_000);
afterAll(async () => {
  await fleet?.close();
  await backend?.close();
  rmSync(root, { recursive: true, force: true });
});

const online = (id: string) => {
  const uuid = backend.store.devices.list().find((d) => d.identifier === id)?.uuid;
  return uuid !== undefined && backend.socket.isOnline(uuid);
};

describe('createFleet with the inproc runtime', () => {
  it('starts, reboots, restarts crashes with backoff, fails one broken device, stops', async () => {
    const events: DeviceEvent[] = [];
    fleet = await createFleet({
      runtime: createInprocRuntime(),
      devicesDir,
      rebootDelayMs: 20,
      backoff: { initialMs: 150, maxMs: 1000 },
      ramp: { rate: 50, concurrency: 2 },
      requestReboot: backendRebooter(backend, 'edge-inference'),
    });
    const f = fleet;
    f.subscribe((e) => events.push(e));
    const st = (id: string) => f.status(id);
    // the broken device starts last (concurrency 2): the other three can be online before its start
    // has failed, or (on a loaded machine, its start held back by the ramp's rate) before it has begun
    await until(() => ids.slice(0, 3).every((id) => st(id)?.phase === 'online') && st('OR-0004')?.run === 'failed');
    expect(st('OR-0004')).toMatchObject({ run: 'failed', phase: 'offline' });
    expect(st('OR-0004')?.error).toMatch(/certificate/i);
    expect(st('OR-0001')).toMatchObject({ run: 'running', runtime: 'inproc', cohort: 'release', tags: ['even'], version: '1.1.0', boots: 1, crashes: 0 });
    expect((await f.logs('OR-0001')).some((l) => l.endsWith('[Cloud Socket] Joined Device channel'))).toBe(true);
    expect(await f.summary()).toMatchObject({ total: 4, byRun: { running: 3, failed: 1 }, versions: { '1.1.0': 4 } });

    // reboot through the device channel: the agent exits with the reboot code and boots again
    await f.reboot({ ids: ['OR-0001'] });
    await until(() => st('OR-0001')?.boots === 2 && st('OR-0001')?.phase === 'online');
    const mine = (id: string) => events.filter((e) => e.id === id).map((e) => e.kind);
    expect(mine('OR-0001')).toEqual(expect.arrayContaining(['rebooting', 'exited', 'started', 'connected']));
    expect(st('OR-0001')?.crashes).toBe(0);

    // kill = a crash: counted, restarted after the backoff, which doubles while it never gets online
    const again = f.subscribe((e) => {
      if (e.id === 'OR-0002' && e.kind === 'started' && e.data?.['boot'] === 2) void f.kill({ ids: ['OR-0002'] });
    });
    await f.kill({ ids: ['OR-0002'] });
    await until(() => st('OR-0002')?.boots === 3 && st('OR-0002')?.phase === 'online');
    again();
    expect(st('OR-0002')?.crashes).toBe(2);
    const two = events.filter((e) => e.id === 'OR-0002' && (e.kind === 'crashed' || e.kind === 'started'));
    const gaps = [two[1], two[3]].map((crash, i) => (two[i * 2 + 2]?.at ?? 0) - (crash?.at ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(140);
    expect(gaps[1]).toBeGreaterThanOrEqual(290);

    // selectors: by tag; unknown ids are refused with a clear error
    await f.stop({ tag: 'odd' });
    expect(st('OR-0002')?.run).toBe('stopped');
    expect(st('OR-0004')?.run).toBe('failed');
    await until(() => !online('OR-0002'));
    expect(online('OR-0001')).toBe(true);
    const err = await f.stop({ ids: ['NOPE-1'] }).catch((e: unknown) => e);
    expect(isVfleetError(err) && err.message).toMatch(/no device NOPE-1 in this fleet/);

    // a stopped device starts again; a failed one is tried again and fails again
    await f.start({ ids: ['OR-0002', 'OR-0004'] });
    await until(() => st('OR-0002')?.phase === 'online' && st('OR-0004')?.boots === 2);
    await until(() => st('OR-0004')?.run === 'failed');

    await f.close();
    expect((await f.devices()).map((d) => d.run)).toEqual(['stopped', 'stopped', 'stopped', 'failed']);
    await until(() => ids.every((id) => !online(id)));
  }, 60_000);

  it('add() generates and starts new devices; remove() deletes them', async () => {
    const inproc = createInprocRuntime();
    // a host that holds at most 10 such devices
    const preflight = async (n: number) => ({ ...(await inproc.preflight(1)), ...(n > 10 ? { ok: false, problems: [`${n} devices: at most 10 fit (test ceiling)`] } : {}) });
    fleet = await createFleet({
      runtime: { ...inproc, preflight },
      devicesDir,
      ids: [],
      generate: { home, cohort: 'release', deviceApi: backend.deviceApiUrl, deviceApiCa: backend.deviceApiCaPath, prefix: 'OR' },
    });
    const f = fleet;
    await expect(f.add(100_001)).rejects.toThrow('add: count 100001 must be a whole number from 1 to 100000');
    await expect(f.add(1, { tags: ['a\u0000b'] })).rejects.toThrow(/^add: tag "a\\u0000b" must be/);
    // more than the host can hold: the preflight's ceilings refuse it before any directory is made
    await expect(f.add(11)).rejects.toThrow('add: 11 more inproc device(s) (11 in all): 11 devices: at most 10 fit (test ceiling)');
    const added = await f.add(2, { tags: ['new'] });
    expect(added).toEqual(['OR-0005', 'OR-0006']);
    await until(() => added.every((id) => f.status(id)?.phase === 'online'));
    expect(f.status('OR-0005')?.tags).toEqual(['new']);
    await f.remove({ tag: 'new' });
    expect(await f.devices()).toEqual([]);
    await until(() => !online('OR-0005'));
    await f.close();
  }, 60_000);

  it('slows down a device that keeps rebooting without ever connecting', async () => {
    const starts: number[] = [];
    const rebooting: Runtime = {
      ...createInprocRuntime(),
      async start(launch) {
        starts.push(Date.now());
        // the agent asks for a reboot at once, every boot
        return { id: launch.id, exit: Promise.resolve({ code: REBOOT_EXIT_CODE, signal: null }), stop: async () => undefined, kill: async () => undefined };
      },
    };
    const f = await createFleet({ runtime: rebooting, devicesDir, ids: ['OR-0003'], rebootDelayMs: 10, backoff: { initialMs: 100, maxMs: 400 } });
    await f.start({ ids: ['OR-0003'] });
    await new Promise((r) => setTimeout(r, 1500));
    await f.close();
    // five at the reboot delay, then 100, 200, 400, 400… ms apart: about 9 boots, not 150
    expect(starts.length).toBeGreaterThanOrEqual(7);
    expect(starts.length).toBeLessThanOrEqual(11);
    const gaps = starts.slice(1).map((t, i) => t - (starts[i] as number));
    expect(gaps.slice(5, 8).every((g, i) => g >= [100, 200, 400][i]! - 5)).toBe(true);
    expect(f.status('OR-0003')?.run).not.toBe('failed');
  });

  it('stop and remove wait for a start in flight; a removed device leaves no record behind', async () => {
    const calls: string[] = [];
    const slow: Runtime = {
      ...createInprocRuntime(),
      async start(launch) {
        calls.push(`start ${launch.id}`);
        // like docker run: the device exists only once this returns
        await new Promise((r) => setTimeout(r, 300));
        let end: (e: { code: number; signal: null }) => void = () => undefined;
        const exit = new Promise<{ code: number; signal: null }>((r) => (end = r));
        return { id: launch.id, exit, stop: async () => { calls.push(`stop ${launch.id}`); end({ code: 0, signal: null }); }, kill: async () => end({ code: 0, signal: null }) };
      },
    };
    const recorded: string[] = [];
    const recorder = { device: (st: { id: string; run: string }) => recorded.push(`${st.id}:${st.run}`), event: () => undefined, forget: (id: string) => recorded.push(`forget ${id}`), close: () => undefined };
    await generateDevices({ home, out: devicesDir, cohort: 'release', env: 'file', diskBytes: 0, force: false, deviceApi: backend.deviceApiUrl, specs: [{ id: 'OR-0009', cohort: 'release', tags: [], target: 'arm64-v8' }] });
    const f = await createFleet({ runtime: slow, devicesDir, ids: ['OR-0001', 'OR-0009'], recorder, ramp: { rate: 100, concurrency: 4 } });
    await until(() => calls.length === 2);
    await f.stop({ ids: ['OR-0001'] });
    // returned only once the device it was starting had been stopped
    expect(calls).toContain('stop OR-0001');
    expect(f.status('OR-0001')?.run).toBe('stopped');
    await f.remove({ ids: ['OR-0009'] });
    expect(calls).toContain('stop OR-0009');
    expect(existsSync(join(devicesDir, 'OR-0009'))).toBe(false);
    await new Promise((r) => setTimeout(r, 400));
    expect(recorded.slice(recorded.indexOf('forget OR-0009'))).toEqual(['forget OR-0009']);
    expect(recorded.filter((r) => r.startsWith('OR-0009:')).at(-1)).not.toBe('OR-0009:failed');
    await f.close();
  });

  it('keeps what a device prints free of terminal control sequences, and each line it keeps bounded', async () => {
    let stopped: () => void = () => undefined;
    const printing: Runtime = {
      ...createInprocRuntime(),
      async start(launch) {
        launch.onLine('\u001b[2J\u001b[31mred\u001b[0m\r12:00:00.000 [info] bell\u0007', 'stdout');
        launch.onLine(`12:00:00.000 [info] ${'y'.repeat(MAX_LINE_CHARS - 21)}😀${'z'.repeat(50_000_000)}`, 'stdout');
        const exit = new Promise<{ code: number; signal: null }>((resolve) => (stopped = () => resolve({ code: 0, signal: null })));
        return { id: launch.id, exit, stop: async () => stopped(), kill: async () => stopped() };
      },
    };
    const f = await createFleet({ runtime: printing, devicesDir, ids: ['OR-0001'] });
    for (let i = 0; i < 100 && (await f.logs('OR-0001')).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 100 && (await f.logs('OR-0001')).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    const [first, long] = await f.logs('OR-0001');
    expect(first).toBe('\\u001b[2J\\u001b[31mred\\u001b[0m\\u000d12:00:00.000 [info] bell\\u0007');
    // cut before the emoji whose pair straddles the limit, never inside it
    expect(long).toBe(`12:00:00.000 [info] ${'y'.repeat(MAX_LINE_CHARS - 21)}… (50000002 more characters)`);
    await f.close();
  });
});

