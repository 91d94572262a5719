import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { abLayout, decodeBootHeader, decodeFwupArchive, readRange, readZipEntry } from '@vfleet/core';
import { initWorkspace } from '../workspace/init.js';
import { generateDevices } from '../devices/generate.js';
import { startBackend, type Backend } from '../backend/server.js';
import { createAdminClient, type AdminClient } from '../backend/admin-client.js';
import { seedEvk } from '../backend/evk-seed.js';
import { buildOsFwupArchive } from '../artifacts/os-archive.js';
import { createFleet } from './orchestrator.js';
import { createInprocRuntime } from './runtimes/inproc.js';
import { deviceEnv, until } from '../test-support/device.js';
import { adminRows } from '../test-support/admin-rows.js';

const MiB = 1024 * 1024;
const DISK = 64 * MiB;
const root = mkdtempSync(join(tmpdir(), 'vfleet-ab-'));
const controller = new AbortController();
let backend: Backend;
let admin: AdminClient;
afterAll(async () => {
  controller.abort();
  await backend?.close();
  rmSync(root, { recursive: true, force: true });
});

const { first, osRelease } = adminRows(() => admin);

describe('A/B OS update end to end', () => {
  let home: string;
  let image: Buffer;
  beforeAll(async () => {
    home = join(root, 'home');
    initWorkspace({ home });
    backend = await startBackend({ home, port: 0, adminPort: 0, binaryPort: 0 });
    admin = createAdminClient(backend.admin.url, backend.adminToken);
    await seedEvk({ home, client: admin, sizeScale: 1 / 4096 });
    // an OS release after r1001: edge-inference-os 1.13.0 as an fwup archive for this disk layout
    const fw = buildOsFwupArchive({ name: 'edge-inference-os', version: '1.13.0', size: 2 * MiB, health: 'ok', diskBytes: DISK });
    image = fw;
    const os = await first('artifacts', (a) => a.name === 'edge-inference-os');
    await osRelease({ artifactUuid: os.uuid, content: fw, bundle: 'os-1.13.0', name: 'release-os-1.13.0', version: '1.2.0' });
    await generateDevices({
      home, out: join(root, 'devices'), cohort: 'release', env: 'disk', diskBytes: DISK, force: false,
      deviceApi: backend.deviceApiUrl, deviceApiCa: backend.deviceApiCaPath, specs: [{ id: 'AB-0001', cohort: 'release', tags: [], target: 'arm64-v8' }],
    });
  }, 60_000);

  it('writes slot b, reboots into it on trial, reports the release and validates the slot', async () => {
    const dir = join(root, 'devices', 'AB-0001');
    const env = () => deviceEnv(dir);
    expect(env().get('peridio_active')).toBe('a');
    const fleet = await createFleet({ runtime: createInprocRuntime(), devicesDir: join(root, 'devices'), ids: ['AB-0001'], signal: controller.signal, rebootDelayMs: 50 });
    const dev = () => fleet.status('AB-0001');
    // the update installs with the fwup installer, the agent reboots, the bootloader boots b on trial
    await until(() => dev()?.boots === 2 && dev()?.run === 'running', 30_000);
    expect(dev()?.slot).toBe('b');
    const slotB = abLayout({ sizeBytes: DISK }).slots.b;
    expect(decodeBootHeader(readRange(join(dir, 'disk.img'), slotB.offset, 4096), 'slot b')).toMatchObject({ version: '1.13.0', health: 'ok' });
    const vars = env();
    expect(vars.get('peridio_active')).toBe('b');
    expect(vars.get('b.peridio_version')).toBe('1.13.0');
    expect(vars.get('peridio_vsn_current')).toBe('1.2.0');
    expect(vars.get('a.peridio_version')).toBe('1.12.1');
    // its first good /update answer validates the slot: no more trial boots
    await until(() => (env().get('upgrade_available') ?? '') === '' && env().get('bootcount') === '0', 30_000);
    backend.store.flush();
    await until(() => backend.store.devices.list().find((d) => d.identifier === 'AB-0001')?.reported_version === '1.2.0', 30_000);
    // the rootfs-b range holds exactly the image the archive carried
    const archive = decodeFwupArchive(image);
    const entry = archive.resources.find((r) => r.resource === 'rootfs.img');
    const rootfs = readZipEntry(archive.bytes, entry?.zip as NonNullable<typeof entry>['zip'], 'os.fw');
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(sha(readRange(join(dir, 'disk.img'), slotB.offset, rootfs.length))).toBe(sha(rootfs));
    // the fleet's view: the new slot and version, read from the env at boot
    expect(dev()).toMatchObject({ slot: 'b', version: '1.2.0', crashes: 0 });
    await fleet.close();
  }, 60_000);
});

