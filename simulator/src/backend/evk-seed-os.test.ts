import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { abLayout, decodeBootHeader, decodeFwupArchive, DEFAULT_DISK_SIZE, readRange, verifyFwupArchive } from '@vfleet/core';
import { initWorkspace } from '../workspace/init.js';
import { generateDevices } from '../devices/generate.js';
import { loadProduct } from '../product/product.js';
import { readWorkspace } from '../workspace/load.js';
import { startBackend, type Backend } from './server.js';
import { createAdminClient, type AdminClient } from './admin-client.js';
import { binaryContent, seedEvk } from './evk-seed.js';
import { createFleet } from '../fleet/orchestrator.js';
import { createInprocRuntime } from '../fleet/runtimes/inproc.js';
import { deviceEnv, until } from '../test-support/device.js';
import { adminRows } from '../test-support/admin-rows.js';

const root = mkdtempSync(join(tmpdir(), 'vfleet-evk-os-'));
const controller = new AbortController();
let backend: Backend;
let admin: AdminClient;
let home: string;
afterAll(async () => {
  controller.abort();
  await backend?.close();
  rmSync(root, { recursive: true, force: true });
});

const { first, osRelease } = adminRows(() => admin);
const stored = (uuid: string): Buffer => readFileSync(join(home, 'artifacts', uuid));

describe('vfleet evk seed: the OS artifact is a real fwup OS image', () => {
  beforeAll(async () => {
    home = join(root, 'home');
    initWorkspace({ home });
    backend = await startBackend({ home, port: 0, adminPort: 0, binaryPort: 0 });
    admin = createAdminClient(backend.admin.url, backend.adminToken);
    await seedEvk({ home, client: admin, sizeScale: 1 / 1024 });
  }, 60_000);

  it('uploads each OS binary as a verified fwup archive at its EVK version, image sized by sizeScale', () => {
    const product = loadProduct(readWorkspace(home).product);
    const os = product.artifacts.find((a) => a.name === 'edge-inference-os');
    expect(os?.versions.length).toBeGreaterThan(0);
    for (const version of os?.versions ?? []) {
      for (const b of version.binaries) {
        const archive = decodeFwupArchive(stored(b.uuid), { source: b.uuid });
        expect(verifyFwupArchive(archive).resources).toEqual(['rootfs.img']);
        expect(archive.meta.metadata).toMatchObject({ product: 'edge-inference-os', version: version.version.replace(/^v/, ''), architecture: b.target });
        expect(archive.meta.resources[0]?.lengths).toEqual([Math.round(b.size / 1024)]);
        expect(archive.meta.tasks.map((t) => t.name)).toEqual(expect.arrayContaining(['upgrade.a', 'upgrade.b']));
      }
    }
    // the other artifacts keep their deterministic bytes of the scaled EVK size
    const service = product.artifacts.find((a) => a.name === 'edge-inference-service')?.versions[0]?.binaries[0];
    expect(stored(service?.uuid ?? '').length).toBe(Math.round((service?.size ?? 0) / 1024));
  });

  it('a disk-env EVK device on slot a takes a release with a new OS version, reboots into slot b and reports it', async () => {
    const product = loadProduct(readWorkspace(home).product);
    const os = product.artifacts.find((a) => a.name === 'edge-inference-os');
    if (os === undefined) throw new Error('fixture lacks the OS artifact');
    const art = await first('artifacts', (a) => a.name === os.name);
    const content = binaryContent(os, 'v1.13.0', 'arm64-v8', 256 * 1024, DEFAULT_DISK_SIZE);
    await osRelease({ artifactUuid: art.uuid, content, bundle: 'os-1.13.0', name: 'release-os-1.13.0', version: '1.3.0' });

    const devices = join(root, 'devices');
    await generateDevices({
      home, out: devices, cohort: 'release', env: 'disk', diskBytes: DEFAULT_DISK_SIZE, force: false,
      deviceApi: backend.deviceApiUrl, deviceApiCa: backend.deviceApiCaPath, specs: [{ id: 'EI-OS-0001', cohort: 'release', tags: [], target: 'arm64-v8' }],
    });
    const dir = join(devices, 'EI-OS-0001');
    expect(deviceEnv(dir).get('peridio_active')).toBe('a');
    const fleet = await createFleet({ runtime: createInprocRuntime(), devicesDir: devices, ids: ['EI-OS-0001'], signal: controller.signal, rebootDelayMs: 50 });
    const dev = () => fleet.status('EI-OS-0001');
    try {
      await until(() => dev()?.boots === 2 && dev()?.run === 'running', 30_000);
      expect(dev()?.slot).toBe('b');
      const layout = abLayout({ sizeBytes: DEFAULT_DISK_SIZE });
      expect(decodeBootHeader(readRange(join(dir, 'disk.img'), layout.slots.b.offset, 4096), 'slot b')).toMatchObject({ name: 'edge-inference-os', version: '1.13.0', health: 'ok' });
      expect(decodeBootHeader(readRange(join(dir, 'disk.img'), layout.slots.a.offset, 4096), 'slot a')).toMatchObject({ version: '1.12.1' });
      const env = deviceEnv(dir);
      expect(env.get('b.peridio_version')).toBe('1.13.0');
      expect(env.get('a.peridio_version')).toBe('1.12.1');
      await until(() => (deviceEnv(dir).get('upgrade_available') ?? '') === '' && deviceEnv(dir).get('bootcount') === '0', 30_000);
      backend.store.flush();
      await until(() => backend.store.devices.list().find((d) => d.identifier === 'EI-OS-0001')?.reported_version === '1.3.0', 30_000);
      expect(dev()).toMatchObject({ slot: 'b', version: '1.3.0', crashes: 0 });
    } finally {
      await fleet.close();
    }
  }, 90_000);
});
