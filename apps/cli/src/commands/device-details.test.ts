import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evkSpecs, generateDevices, initWorkspace, loadProduct } from '@vfleet/simulator';
import { readDeviceDetails } from './device-details.js';

const root = mkdtempSync(join(tmpdir(), 'vft-tui-details-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('device details for the drill-down', () => {
  it('reads the env through the agent mapping and names each partition with the OS its slot holds; a broken disk still shows the env', async () => {
    const home = join(root, 'home');
    initWorkspace({ home });
    const product = loadProduct();
    const out = join(root, 'devices');
    const specs = evkSpecs(product).slice(0, 2);
    const made = await generateDevices({ home, out, cohort: product.deviceCohort, env: 'file', diskBytes: 64 * 1024 * 1024, force: false, specs, deviceApi: '127.0.0.1:4443' });
    expect(made.failed).toEqual([]);
    const id = specs[0]?.id as string;
    const d = readDeviceDetails(out, id);
    expect(d.dir).toBe(join(out, id));
    const env = new Map(d.env);
    expect(env.get('peridio_active')).toBe('a');
    expect(env.get('peridio_vsn_current')).toBe('1.1.0');
    expect(d.slots.map((s) => s.name)).toEqual(['rootfs-a', 'rootfs-b', 'data']);
    const [a, b] = d.slots;
    expect(a?.active).toBe(true);
    expect(a?.content).toMatch(/^\S+ \S+ \(ok\)$/);
    expect(b).toMatchObject({ active: false, content: 'empty' });
    expect(a?.offset).toBeGreaterThan(0);
    expect(d.notes).toEqual([]);

    writeFileSync(join(out, id, 'disk.img'), 'not a disk');
    const broken = readDeviceDetails(out, id);
    expect(new Map(broken.env).get('peridio_active')).toBe('a');
    expect(broken.slots).toEqual([]);
    expect(broken.notes.join('\n')).toMatch(/^disk: /);
    expect(() => readDeviceDetails(out, 'EI-ML-9999')).toThrow(/no such device directory/);
  });
});
