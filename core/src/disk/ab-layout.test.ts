import { describe, expect, it } from 'vitest';
import { abLayout, DEFAULT_DISK_SIZE } from './ab-layout.js';
import { encodeGpt } from './encode-gpt.js';
import { LINUX_FILESYSTEM_GUID } from './guid.js';

const MiB = 1024 * 1024;
const TAIL = 33 * 512;

function counter(): () => string {
  let n = 0;
  return () => `0000000${++n}-AAAA-4BBB-8CCC-DDDDDDDDDDDD`;
}

describe('abLayout', () => {
  it('lays out the default 256 MiB disk', () => {
    const layout = abLayout({ sizeBytes: DEFAULT_DISK_SIZE, guids: counter() });
    expect(layout.slots).toEqual({
      a: { offset: 4 * MiB, size: 100 * MiB },
      b: { offset: 104 * MiB, size: 100 * MiB },
      data: { offset: 204 * MiB, size: 52 * MiB - TAIL },
    });
    expect(layout.env).toEqual([{ offset: 0x100000, size: 0x20000 }]);
    expect(layout.table.diskGuid).toBe('00000001-aaaa-4bbb-8ccc-dddddddddddd');
    expect(layout.table.totalSectors).toBe(524288);
    expect(layout.table.partitions).toEqual([
      { index: 1, name: 'rootfs-a', typeGuid: LINUX_FILESYSTEM_GUID, guid: '00000002-aaaa-4bbb-8ccc-dddddddddddd', firstLba: 8192, lastLba: 212991, attributes: 0n },
      { index: 2, name: 'rootfs-b', typeGuid: LINUX_FILESYSTEM_GUID, guid: '00000003-aaaa-4bbb-8ccc-dddddddddddd', firstLba: 212992, lastLba: 417791, attributes: 0n },
      { index: 3, name: 'data', typeGuid: LINUX_FILESYSTEM_GUID, guid: '00000004-aaaa-4bbb-8ccc-dddddddddddd', firstLba: 417792, lastLba: 524288 - 34, attributes: 0n },
    ]);
    expect(encodeGpt(layout.table).head.length).toBe(34 * 512);
  });

  it('places two env copies when redundant', () => {
    expect(abLayout({ sizeBytes: DEFAULT_DISK_SIZE, envRedundant: true }).env).toEqual([
      { offset: 0x100000, size: 0x20000 },
      { offset: 0x120000, size: 0x20000 },
    ]);
  });

  it.each([
    [16 * MiB, 4 * MiB, 4 * MiB - TAIL],
    [1024 * MiB, 407 * MiB, (1024 - 4 - 814) * MiB - TAIL],
    [100 * MiB + 512, 38 * MiB, (100 - 4 - 76) * MiB + 512 - TAIL],
  ])('sizes slots of a %d-byte disk to whole MiB', (sizeBytes, slot, data) => {
    const { slots, table } = abLayout({ sizeBytes });
    expect(slots.a.size).toBe(slot);
    expect(slots.b).toEqual({ offset: 4 * MiB + slot, size: slot });
    expect(slots.data).toEqual({ offset: 4 * MiB + 2 * slot, size: data });
    expect(slots.data.offset % MiB).toBe(0);
    expect(new Set(table.partitions.map((p) => p.guid)).size).toBe(3);
  });

  it.each([15 * MiB, 16 * MiB + 100, Number.NaN])('rejects a disk of %d bytes', (sizeBytes) => {
    expect(() => abLayout({ sizeBytes })).toThrow(
      `disk size: ${sizeBytes} bytes is not accepted; expected at least 16777216 (16 MiB), a multiple of 512`,
    );
  });
});
