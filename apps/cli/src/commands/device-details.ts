import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { decodeBootHeader, readPartitionTable, readRange, SECTOR_SIZE } from '@vfleet/core';
import { readDeviceEnv } from '@vfleet/simulator';
import type { DeviceDetails } from '@vfleet/tui';

/**
 * What a device directory holds, for the TUI's drill-down: its U-Boot env (through the agent's own
 * path mapping) and the partitions of its disk with the OS each slot's boot header names. Errors
 * are reported per part, so a corrupt disk still shows the env.
 */
export function readDeviceDetails(devicesDir: string, id: string): DeviceDetails {
  const dir = join(devicesDir, id);
  if (!existsSync(dir)) throw new Error(`${dir}: no such device directory`);
  const notes: string[] = [];
  let env: Array<[string, string]> = [];
  try {
    const vars = readDeviceEnv(dir);
    env = [...vars.entries()].sort((a, b) => a[0].localeCompare(b[0]));
  } catch (e) {
    notes.push(`env: ${(e as Error).message}`);
  }
  const active = env.find(([k]) => k === 'peridio_active')?.[1];
  const slots: DeviceDetails['slots'] = [];
  const disk = join(dir, 'disk.img');
  if (!existsSync(disk)) notes.push('no disk.img: not an A/B device');
  else {
    try {
      const { table, warnings } = readPartitionTable(disk);
      notes.push(...warnings.map((w) => `disk: ${w}`));
      for (const p of table.partitions) {
        const offset = p.firstLba * SECTOR_SIZE;
        const size = (p.lastLba - p.firstLba + 1) * SECTOR_SIZE;
        let content = '';
        if (p.name.startsWith('rootfs-')) {
          try {
            const h = decodeBootHeader(readRange(disk, offset, 4096), `${disk} ${p.name}`);
            content = h ? `${h.name} ${h.version} (${h.health})` : 'empty';
          } catch (e) {
            content = `unreadable: ${(e as Error).message}`;
          }
        }
        slots.push({ name: p.name, offset, size, content, active: active !== undefined && p.name === `rootfs-${active}` });
      }
    } catch (e) {
      notes.push(`disk: ${(e as Error).message}`);
    }
  }
  return { dir, env, slots, notes };
}
