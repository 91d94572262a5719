import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemo } from './demo.js';
import { until } from '../test-support/device.js';

const home = mkdtempSync(join(tmpdir(), 'vfleet-demo-'));
const controller = new AbortController();
let demo: Awaited<ReturnType<typeof startDemo>> | undefined;
afterAll(async () => {
  controller.abort();
  await demo?.stop();
  rmSync(home, { recursive: true, force: true });
});

describe('startDemo', () => {
  it('runs the EVK story: six devices online, canaries then everyone on r1002, a reboot comes back', async () => {
    demo = await startDemo({ home, signal: controller.signal, sizeScale: 1 / 2048, ports: { device: 0, admin: 0, binary: 0 } });
    const d = demo;
    const store = d.backend.store;
    const productUuid = store.products.getByName('edge-inference')?.uuid ?? '';
    const device = (id: string) => store.devices.getByIdentifier(productUuid, id);
    const ids = d.product.devices.map((x) => x.id);
    await until(() => ids.every((id) => device(id) && d.backend.socket.isOnline(device(id)?.uuid ?? '')));
    const version = (id: string) => device(id)?.reported_version;
    await until(() => ids.every((id) => version(id) === '1.1.0'));

    const r1002 = d.product.releases.find((r) => r.name === 'release-r1002')?.uuid ?? '';
    await d.admin.call('PATCH', `/api/v1/releases/${r1002}`, { disabled: false });
    for (const id of ids) await d.agent(id)?.updater.checkNow();
    for (const id of ids) await d.agent(id)?.updater.checkNow();
    expect(ids.map(version)).toEqual(['2.0.0', '2.0.0', '1.1.0', '1.1.0', '1.1.0', '1.1.0']);

    await d.admin.call('PATCH', `/api/v1/releases/${r1002}`, { phase_value: 1.0 });
    for (const id of ids) await d.agent(id)?.updater.checkNow();
    for (const id of ids) await d.agent(id)?.updater.checkNow();
    expect(ids.map(version)).toEqual(ids.map(() => '2.0.0'));

    const before = d.fleet.status('EI-ML-0003')?.boots;
    expect(d.backend.socket.push(device('EI-ML-0003')?.uuid ?? '', 'device', 'reboot', {})).toBe(true);
    await until(() => d.fleet.status('EI-ML-0003')?.boots === (before ?? 0) + 1);
    await until(() => d.fleet.status('EI-ML-0003')?.run === 'running');
    await until(() => d.backend.socket.isOnline(device('EI-ML-0003')?.uuid ?? ''));
    // the fleet saw it all through the agents' log lines
    await until(() => d.fleet.status('EI-ML-0003')?.phase === 'online');
    expect((await d.fleet.devices()).map((x) => x.version)).toEqual(ids.map(() => '2.0.0'));
    expect(await d.fleet.summary()).toMatchObject({ total: 6, versions: { '2.0.0': 6 } });
  }, 60_000);
});
