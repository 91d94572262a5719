import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { floorSettleMs, freePageReporting } from './floor.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'vfleet-floor-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A /sys/bus/virtio/devices look-alike: one folder per device with its id and feature bits ('0'/'1' by bit number). */
function virtio(name: string, devices: Array<{ id: string; bits: number[] }>): string {
  const dir = join(root, name);
  devices.forEach((d, i) => {
    mkdirSync(join(dir, `virtio${i}`), { recursive: true });
    writeFileSync(join(dir, `virtio${i}`, 'device'), `${d.id}\n`);
    writeFileSync(join(dir, `virtio${i}`, 'features'), `${Array.from({ length: 64 }, (_, b) => (d.bits.includes(b) ? '1' : '0')).join('')}\n`);
  });
  return dir;
}

describe('the load floor on a VM that hands freed memory back', () => {
  it('sees free page reporting only on a memory balloon that offers it', () => {
    expect(freePageReporting(virtio('reporting', [{ id: '0x0002', bits: [5] }, { id: '0x0005', bits: [1, 2, 5] }]))).toBe(true);
    expect(freePageReporting(virtio('balloon-without', [{ id: '0x0005', bits: [1, 2, 3] }]))).toBe(false);
    expect(freePageReporting(virtio('no-balloon', [{ id: '0x0001', bits: [5] }]))).toBe(false);
    expect(freePageReporting(join(root, 'not-there'))).toBe(false);
  });

  it('waits a minute after a delete of a gigabyte or more there, and not at all otherwise', () => {
    const on = virtio('on', [{ id: '0x0005', bits: [5] }]);
    const off = virtio('off', [{ id: '0x0005', bits: [] }]);
    expect(floorSettleMs(16 * 2 ** 30, on)).toBe(60_000);
    expect(floorSettleMs(2 ** 30, on)).toBe(60_000);
    expect(floorSettleMs(2 ** 30 - 1, on)).toBe(0);
    expect(floorSettleMs(16 * 2 ** 30, off)).toBe(0);
  });
});
