import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { binRecord } from '@vfleet/core';
import { haveTools } from '@vfleet/core/test-support';
import { initWorkspace } from '../workspace/init.js';
import { loadProduct } from '../product/product.js';
import { generateDevices } from '../devices/generate.js';
import { evkSpecs } from '../devices/spec.js';
import { startBackend, type Backend } from '../backend/server.js';
import { createAdminClient, type AdminClient } from '../backend/admin-client.js';
import { seedEvk } from '../backend/evk-seed.js';
import { canRunAsDevice, runAsDevice } from '../test-support/as-device.js';
import { createAgent, type Agent } from './agent.js';
import { deviceEnv, until } from '../test-support/device.js';

const product = loadProduct();
const release = (name: string) => product.releases.find((r) => r.name === name) ?? { uuid: '' };
let root: string;
let devices: string;
let backend: Backend;
let admin: AdminClient;
const agents: Agent[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'vfleet-agent-'));
  const home = join(root, 'home');
  devices = join(root, 'devices');
  initWorkspace({ home });
  backend = await startBackend({ home, port: 0, adminPort: 0, binaryPort: 0 });
  admin = createAdminClient(backend.admin.url, backend.adminToken);
  await seedEvk({ home, client: admin, sizeScale: 1 / 1024 });
  await generateDevices({
    home, out: devices, cohort: 'release', env: 'file', diskBytes: 0, force: false, specs: evkSpecs(product),
    deviceApi: backend.deviceApiUrl, deviceApiCa: backend.deviceApiCaPath,
  });
}, 60_000);
afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await backend?.close();
  rmSync(root, { recursive: true, force: true });
});

async function start(id: string, lines: string[]): Promise<Agent> {
  const agent = await createAgent({ env: {}, deviceDir: join(devices, id), log: { sink: (l) => lines.push(l.trim()), format: 'console' } });
  agents.push(agent);
  return agent;
}

describe('agent against the embedded backend', () => {
  it('takes r1002 on a canary as the EVK story says', async () => {
    const lines: string[] = [];
    const dir = join(devices, 'EI-ML-0001');
    const agent = await start('EI-ML-0001', lines);
    await until(() => lines.some((l) => l.endsWith('[Cloud Socket] Joined Device channel')), 10_000, 25);
    await agent.updater.checkNow();
    expect(lines.some((l) => l.endsWith('[Cloud Server] no update'))).toBe(true);

    await admin.call('PATCH', `/api/v1/releases/${release('release-r1002').uuid}`, { disabled: false });
    await agent.updater.checkNow();
    expect(lines.filter((l) => /\[Plan Server\] Plan (finished|execution starting)/.test(l)).map((l) => l.replace(/^.*\] /, ''))).toEqual(['Plan execution starting', 'Plan finished']);

    // service and model landed through the file installer, each behind a relative symlink
    const opt = join(dir, 'root', 'opt', 'edge-inference');
    const names = readdirSync(opt).sort();
    expect(names.filter((n) => !/^[0-9a-f-]{36}$/.test(n))).toEqual(['edge-inference-model.onnx', 'edge-inference-service.img']);
    const target = readlinkSync(join(opt, 'edge-inference-service.img'));
    expect(target).toMatch(/^[0-9a-f-]{36}$/);
    const r1002Service = product.artifacts[1]?.versions[1]?.binaries.find((b) => b.target === 'arm64-v8');
    expect(target).toBe(r1002Service?.uuid);
    expect(existsSync(join(opt, 'edge-inference-peripheral.bin'))).toBe(false);

    const env = deviceEnv(dir);
    expect(env.get('peridio_vsn_current')).toBe('2.0.0');
    expect(env.get('peridio_vsn_previous')).toBe('1.1.0');
    expect(env.get('peridio_via_current')).toBe(`prn:1:${backend.store.organization().uuid}:release:${release('release-r1002').uuid}`);
    const bins = env.get('peridio_bin_current') ?? '';
    const os = product.artifacts[0];
    expect(bins).toContain(binRecord(os?.versions[0]?.binaries[0]?.uuid ?? '', os?.customMetadata ?? {}));
    expect(bins.length).toBe(3 * 96);
    expect(env.get('peridio_bin_previous')?.length).toBe(3 * 96);

    // the next poll reports 2.0.0 and is told there is nothing more to do
    lines.length = 0;
    await agent.updater.checkNow();
    expect(lines.some((l) => l.endsWith('[Cloud Server] no update'))).toBe(true);
    backend.store.flush();
    expect(backend.store.devices.list().find((d) => d.identifier === 'EI-ML-0001')?.reported_version).toBe('2.0.0');
    const content = readFileSync(join(opt, 'edge-inference-service.img'));
    expect(createHash('sha256').update(content).digest('hex')).toMatch(/^[0-9a-f]{64}$/);
  });

  it.skipIf(!haveTools('fw_printenv', 'unshare') || !canRunAsDevice())('leaves an env fw_printenv reads on the device', () => {
    const out = runAsDevice(join(devices, 'EI-ML-0001'), ['fw_printenv', '-c', '/etc/peridiod/fw_env.config', 'peridio_vsn_current', 'peridio_vsn_previous']);
    expect(out).toBe('peridio_vsn_current=2.0.0\nperidio_vsn_previous=1.1.0\n');
  });

  it('refuses to start without an identity, with peridiod’s error', async () => {
    rmSync(join(devices, 'EI-ML-0006', 'device-certificate.pem'));
    await expect(start('EI-ML-0006', [])).rejects.toThrow(/Failed to parse certificate from file/);
  });
});
