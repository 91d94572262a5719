import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initWorkspace } from '../../workspace/init.js';
import { generateDevices } from '../../devices/generate.js';
import { startBackend, type Backend } from '../../backend/server.js';
import { createAdminClient } from '../../backend/admin-client.js';
import { seedEvk } from '../../backend/evk-seed.js';
import { evkSpecs } from '../../devices/spec.js';
import { loadProduct } from '../../product/product.js';
import { until } from '../../test-support/device.js';
import { createFleet, type Fleet } from '../orchestrator.js';
import { backendRebooter } from '../backend-reboot.js';
import { createProcessRuntime, defaultAgentEntry } from './process.js';

const built = existsSync(defaultAgentEntry());
if (!built) {
  if (process.env['CI'] === 'true') throw new Error(`${defaultAgentEntry()} missing: CI builds before testing (tsc -b)`);
  console.warn(`skipping the process runtime: ${defaultAgentEntry()} is not built (npm run build)`);
}

const root = mkdtempSync(join(tmpdir(), 'vfleet-proc-'));
const home = join(root, 'home');
const devicesDir = join(root, 'devices');
let backend: Backend;
let fleet: Fleet | undefined;
const strays: number[] = [];

beforeAll(async () => {
  if (!built) return;
  initWorkspace({ home });
  backend = await startBackend({ home, port: 0, adminPort: 0, binaryPort: 0 });
  await seedEvk({ home, client: createAdminClient(backend.admin.url, backend.adminToken), sizeScale: 1 / 4096 });
  await generateDevices({
    home, out: devicesDir, cohort: 'release', env: 'file', diskBytes: 0, force: false,
    deviceApi: backend.deviceApiUrl, deviceApiCa: backend.deviceApiCaPath,
    specs: ['PR-0001', 'PR-0002', 'PR-0003'].map((id) => ({ id, cohort: 'release', tags: [], target: 'arm64-v8' })),
  });
  // PR-0003 cannot start: its agent exits 1 and says why on stderr
  writeFileSync(join(devicesDir, 'PR-0003', 'device-private-key.pem'), '-----BEGIN EC PRIVATE KEY-----\nnot a key\n-----END EC PRIVATE KEY-----\n');
}, 60_000);
afterAll(async () => {
  await fleet?.close();
  for (const pid of strays) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await backend?.close();
  rmSync(root, { recursive: true, force: true });
});

const pidOf = (id: string): number | undefined => {
  try {
    return (JSON.parse(readFileSync(join(home, 'run', 'process', `${id}.pid`), 'utf8')) as { pid: number }).pid;
  } catch {
    return undefined;
  }
};
const alive = (pid: number | undefined) => pid !== undefined && existsSync(`/proc/${pid}`);

describe.skipIf(!built)('process runtime', () => {
  it('runs each device as a vfleet-agent process: online, reboot over the socket restarts it, stop leaves nothing', async () => {
    fleet = await createFleet({
      runtime: createProcessRuntime({ home }),
      devicesDir,
      rebootDelayMs: 20,
      requestReboot: backendRebooter(backend, 'edge-inference'),
    });
    const f = fleet;
    await until(() => ['PR-0001', 'PR-0002'].every((id) => f.status(id)?.phase === 'online') && f.status('PR-0003')?.run === 'failed', 30_000);
    expect(f.status('PR-0003')).toMatchObject({ run: 'failed', boots: 1, crashes: 0 });
    expect(f.status('PR-0003')?.error).toMatch(/^exit 1 before connecting: .*(private.?key|identity)/i);
    expect(f.status('PR-0001')).toMatchObject({ runtime: 'process', run: 'running', version: '1.1.0', boots: 1 });
    const first = pidOf('PR-0001');
    expect(alive(first)).toBe(true);
    expect(readFileSync(`/proc/${first}/cmdline`, 'utf8')).toContain(join(devicesDir, 'PR-0001'));
    // the device's own /etc/hosts names the backend
    expect(readFileSync(join(devicesDir, 'PR-0001', 'root', 'etc', 'hosts'), 'utf8')).toMatch(/127\.0\.0\.1\s+vfleet-backend/);

    await f.reboot({ ids: ['PR-0001'] });
    await until(() => f.status('PR-0001')?.boots === 2 && f.status('PR-0001')?.phase === 'online', 30_000);
    const second = pidOf('PR-0001');
    expect(second).not.toBe(first);
    expect(alive(first)).toBe(false);
    expect((await f.logs('PR-0001')).some((l) => l.includes('[Cloud Socket] Reboot Request'))).toBe(true);

    const pids = [second, pidOf('PR-0002')];
    await f.close();
    expect(pids.some(alive)).toBe(false);
    expect(readdirSync(join(home, 'run', 'process'))).toEqual([]);
    expect((await f.devices()).map((d) => d.run)).toEqual(['stopped', 'stopped', 'failed']);
  }, 60_000);

  it('plays the EVK story: r1002 reaches the canaries only, seen through their log lines', async () => {
    const evkDir = join(root, 'evk');
    await generateDevices({
      home, out: evkDir, cohort: 'release', env: 'file', diskBytes: 0, force: false,
      deviceApi: backend.deviceApiUrl, deviceApiCa: backend.deviceApiCaPath, specs: evkSpecs(loadProduct()),
    });
    fleet = await createFleet({ runtime: createProcessRuntime({ home }), devicesDir: evkDir, rebootDelayMs: 20, requestReboot: backendRebooter(backend, 'edge-inference') });
    const f = fleet;
    const all = async () => f.devices();
    await until(() => (f.status('EI-ML-0006')?.phase === 'online' && [1, 2, 3, 4, 5].every((i) => f.status(`EI-ML-000${i}`)?.phase === 'online')), 40_000);
    const admin = createAdminClient(backend.admin.url, backend.adminToken);
    const r1002 = loadProduct().releases.find((r) => r.name === 'release-r1002')?.uuid ?? '';
    await admin.call('PATCH', `/api/v1/releases/${r1002}`, { disabled: false });
    // a reboot makes each agent check for an update as it starts
    await f.reboot({ all: true });
    await until(() => f.status('EI-ML-0001')?.version === '2.0.0' && f.status('EI-ML-0002')?.version === '2.0.0', 40_000);
    await until(() => [3, 4, 5, 6].every((i) => (f.status(`EI-ML-000${i}`)?.boots ?? 0) >= 2 && f.status(`EI-ML-000${i}`)?.phase === 'online'), 40_000);
    expect((await all()).map((d) => d.version)).toEqual(['2.0.0', '2.0.0', '1.1.0', '1.1.0', '1.1.0', '1.1.0']);
    expect((await f.logs('EI-ML-0001', { limit: 500 })).some((l) => l.includes('[Plan Server] Plan finished'))).toBe(true);
    await f.close();
  }, 90_000);

  it('cleanup() ends the agents a crashed supervisor left behind, and nothing else', async () => {
    const runtime = createProcessRuntime({ home });
    const lines: string[] = [];
    const orphan = await runtime.start({ id: 'PR-0002', deviceDir: join(devicesDir, 'PR-0002'), env: {}, onLine: (l) => lines.push(l) });
    await until(() => lines.some((l) => l.endsWith('[Cloud Socket] Joined Device channel')), 30_000);
    const pid = pidOf('PR-0002');
    expect(alive(pid)).toBe(true);
    // a pid file that points at a process vfleet did not start (pid reuse, a hand-written file)
    const stranger = spawn('sleep', ['30'], { stdio: 'ignore' });
    strays.push(stranger.pid as number);
    mkdirSync(join(home, 'run', 'process'), { recursive: true });
    writeFileSync(join(home, 'run', 'process', 'PR-0009.pid'), JSON.stringify({ pid: stranger.pid, id: 'PR-0009', deviceDir: join(devicesDir, 'PR-0009'), entry: defaultAgentEntry(), startedAt: '' }));
    writeFileSync(join(home, 'run', 'process', 'junk.pid'), 'not json');

    // a fresh runtime (the supervisor that restarts after a crash) finds the orphan by its pid file
    const report = await createProcessRuntime({ home }).cleanup();
    expect(report.removed).toEqual([{ kind: 'process', name: `PR-0002 (pid ${pid})` }]);
    expect(report.errors.join('\n')).toMatch(/junk\.pid: unreadable pid file/);
    expect(await orphan.exit).toEqual({ code: 0, signal: null }); // the agent's orderly SIGTERM exit
    expect(alive(pid)).toBe(false);
    expect(alive(stranger.pid)).toBe(true);
    expect(readdirSync(join(home, 'run', 'process'))).toEqual([]);
  }, 60_000);
});
