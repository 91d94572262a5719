import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { abLayout, decodeBootHeader, readRange } from '@vfleet/core';
import { haveTools } from '@vfleet/core/test-support';
import { initWorkspace } from '../workspace/init.js';
import { ensureSwuSigner } from '../workspace/swu-signer.js';
import { generateDevices } from '../devices/generate.js';
import { startBackend, type Backend } from '../backend/server.js';
import { createAdminClient, type AdminClient } from '../backend/admin-client.js';
import { seedEvk } from '../backend/evk-seed.js';
import { buildOsSwu, type OsSwuResult } from '../artifacts/swu-archive.js';
import { canRunAsDevice } from '../test-support/as-device.js';
import { createFleet } from './orchestrator.js';
import { createInprocRuntime } from './runtimes/inproc.js';
import { deviceEnv, until } from '../test-support/device.js';
import { adminRows } from '../test-support/admin-rows.js';

const MiB = 1024 * 1024;
const DISK = 64 * MiB;
const root = mkdtempSync(join(tmpdir(), 'vfleet-ab-swu-'));
const controller = new AbortController();
let backend: Backend | undefined;
let admin: AdminClient;
afterAll(async () => {
  controller.abort();
  await backend?.close();
  rmSync(root, { recursive: true, force: true });
});

const { first, create, osRelease } = adminRows(() => admin);

describe.skipIf(!(haveTools('swupdate', 'openssl', 'unshare') && canRunAsDevice()))('A/B OS update with a .swu through the real swupdate, end to end', () => {
  let home: string;
  let swu: OsSwuResult;
  beforeAll(async () => {
    home = join(root, 'home');
    initWorkspace({ home });
    backend = await startBackend({ home, port: 0, adminPort: 0, binaryPort: 0 });
    admin = createAdminClient(backend.admin.url, backend.adminToken);
    await seedEvk({ home, client: admin, sizeScale: 1 / 4096 });
    const signer = await ensureSwuSigner(home);
    swu = await buildOsSwu({ name: 'edge-inference-os', version: '1.13.0', size: 2 * MiB, health: 'ok', diskBytes: DISK, signer, out: join(root, 'os-1.13.0.swu') });
    const bytes = readFileSync(swu.out);
    // an OS artifact installed by swupdate, released after r1001
    const product = await first('products', () => true);
    const os = await create('artifacts', {
      product_uuid: product.uuid, name: 'edge-inference-os-swu',
      custom_metadata: { peridiod: { installer: 'swupdate', installer_opts: {}, reboot_required: true } },
    });
    await osRelease({ artifactUuid: os.uuid, content: bytes, bundle: 'os-1.13.0-swu', name: 'release-os-1.13.0-swu', version: '1.2.0' });
    await generateDevices({
      home, out: join(root, 'devices'), cohort: 'release', env: 'disk', diskBytes: DISK, force: false,
      deviceApi: backend.deviceApiUrl, deviceApiCa: backend.deviceApiCaPath, specs: ['SWU-0001', 'SWU-0002'].map((id) => ({ id, cohort: 'release', tags: [], target: 'arm64-v8' })),
    });
    // generated A/B boards trust the workspace root CA and are revision 1.0; SWU-0002 becomes a revision the .swu does not accept
    expect(readFileSync(join(root, 'devices', 'SWU-0001', 'swupdate-ca.pem'), 'utf8')).toBe(readFileSync(signer.caPath, 'utf8'));
    writeFileSync(join(root, 'devices', 'SWU-0002', 'root', 'etc', 'hwrevision'), 'edge-inference 2.0\n');
  }, 90_000);

  it('installs slot b with swupdate, reboots into it on trial, reports the release and validates the slot; a board of another revision refuses it and polls on', async () => {
    const dir = join(root, 'devices', 'SWU-0001');
    const env = () => deviceEnv(dir);
    expect(env().get('peridio_active')).toBe('a');
    const slots = abLayout({ sizeBytes: DISK }).slots;
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const before = { a: sha(readRange(join(dir, 'disk.img'), slots.a.offset, slots.a.size)), data: sha(readRange(join(dir, 'disk.img'), slots.data.offset, slots.data.size)) };
    const other = join(root, 'devices', 'SWU-0002');
    const otherEnv = deviceEnv(other);
    const fleet = await createFleet({ runtime: createInprocRuntime(), devicesDir: join(root, 'devices'), ids: ['SWU-0001', 'SWU-0002'], signal: controller.signal, rebootDelayMs: 50 });
    const dev = () => fleet.status('SWU-0001');
    try {
      await until(() => dev()?.boots === 2 && dev()?.run === 'running', 60_000).catch(async (e: unknown) => {
        throw new Error(`${(e as Error).message}\n${(await fleet.logs('SWU-0001', { limit: 40 })).join('\n')}`);
      });
      expect((await fleet.logs('SWU-0001', { limit: 1000 })).some((l) => l.includes('[Installer swupdate] Finished (slot b)'))).toBe(true);
      expect(dev()?.slot).toBe('b');
      expect(decodeBootHeader(readRange(join(dir, 'disk.img'), slots.b.offset, 4096), 'slot b')).toMatchObject({ version: '1.13.0', health: 'ok', uuid: swu.uuid });
      expect(sha(readRange(join(dir, 'disk.img'), slots.b.offset, 2 * MiB))).toBe(swu.imageSha256);
      const vars = env();
      expect(vars.get('peridio_active')).toBe('b');
      expect(vars.get('b.peridio_version')).toBe('1.13.0');
      expect(vars.get('b.peridio_uuid')).toBe(swu.uuid);
      expect(vars.get('peridio_vsn_current')).toBe('1.2.0');
      expect(vars.get('a.peridio_version')).toBe('1.12.1');
      await until(() => (env().get('upgrade_available') ?? '') === '' && env().get('bootcount') === '0', 30_000);
      backend?.store.flush();
      await until(() => backend?.store.devices.list().find((d) => d.identifier === 'SWU-0001')?.reported_version === '1.2.0', 30_000);
      expect(dev()).toMatchObject({ slot: 'b', version: '1.2.0', crashes: 0 });
      // slot a (the fallback) and the data partition are as they were
      expect(sha(readRange(join(dir, 'disk.img'), slots.a.offset, slots.a.size))).toBe(before.a);
      expect(sha(readRange(join(dir, 'disk.img'), slots.data.offset, slots.data.size))).toBe(before.data);

      // the board of another hardware revision refuses the same release at every poll and keeps running slot a
      const refusals = async () => (await fleet.logs('SWU-0002', { limit: 1000 })).filter((l) => l.includes('[Installer swupdate] Error') && l.includes('SW not compatible with hardware')).length;
      for (const deadline = Date.now() + 30_000; (await refusals()) < 2;) {
        if (Date.now() > deadline) throw new Error(`SWU-0002 did not refuse the .swu at two polls:\n${(await fleet.logs('SWU-0002', { limit: 40 })).join('\n')}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(fleet.status('SWU-0002')).toMatchObject({ slot: 'a', boots: 1, run: 'running', crashes: 0 });
      const after = deviceEnv(other);
      expect(after.get('peridio_active')).toBe('a');
      expect(after.get('peridio_vsn_current')).toBe(otherEnv.get('peridio_vsn_current'));
      expect(after.get('b.peridio_version')).toBeUndefined();
      expect(after.get('upgrade_available') ?? '').toBe('');
      expect(decodeBootHeader(readRange(join(other, 'disk.img'), slots.b.offset, 4096), 'slot b')).toBeNull();
    } finally {
      await fleet.close();
    }
  }, 120_000);
});
