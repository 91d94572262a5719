import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import BetterSqlite3 from 'better-sqlite3';
import { openFleetDb } from './fleet-db.js';
import type { DeviceStatus } from '../types.js';

const root = mkdtempSync(join(tmpdir(), 'vfleet-fleetdb-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const status = (id: string, over: Partial<DeviceStatus> = {}): DeviceStatus => ({ id, runtime: 'inproc', run: 'running', phase: 'online', boots: 1, crashes: 0, ...over });

describe('fleet.db', () => {
  it('keeps the last status per device and a bounded event history, batched', async () => {
    const path = join(root, 'a', 'fleet.db');
    const db = openFleetDb(path, { perDevice: 8, total: 30, flushMs: 20 });
    db.device(status('D-1', { run: 'starting' }));
    db.device(status('D-1', { version: '1.1.0' }));
    db.device(status('D-2'));
    for (let i = 0; i < 20; i++) db.event({ at: i, id: 'D-1', kind: 'log', line: `line ${i}` });
    for (let i = 0; i < 20; i++) db.event({ at: i, id: 'D-2', kind: 'downloading', data: { percent: i } });
    // nothing written yet: a second connection sees no rows until the write-behind period ends
    const other = new BetterSqlite3(path, { readonly: true });
    expect((other.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n).toBe(0);
    await new Promise((r) => setTimeout(r, 80));
    expect((other.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n).toBeLessThanOrEqual(30);
    expect(other.pragma('journal_mode', { simple: true })).toBe('wal');
    other.close();

    expect(db.devices()).toEqual([status('D-1', { version: '1.1.0' }), status('D-2')]);
    const d1 = db.events('D-1', 100);
    // at most perDevice + a quarter of it between trims, and always the newest
    expect(d1.length).toBeLessThanOrEqual(8 + 2);
    expect(d1.at(-1)).toEqual({ at: 19, id: 'D-1', kind: 'log', line: 'line 19' });
    expect(db.events('D-2', 1)).toEqual([{ at: 19, id: 'D-2', kind: 'downloading', data: { percent: 19 } }]);
    db.forget('D-2');
    expect(db.devices().map((d) => d.id)).toEqual(['D-1']);
    expect(db.events('D-2')).toEqual([]);
    db.close();
    // sqlite3's own reader agrees, when installed
    try {
      const out = execFileSync('sqlite3', [path, 'SELECT id FROM devices'], { encoding: 'utf8' });
      expect(out.trim()).toBe('D-1');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  });

  it('reopens what was written before a close', () => {
    const path = join(root, 'b', 'fleet.db');
    const db = openFleetDb(path);
    db.device(status('X-1', { run: 'crashed', crashes: 2 }));
    db.event({ at: 1, id: 'X-1', kind: 'crashed', data: { code: 137 } });
    db.close();
    const again = openFleetDb(path);
    expect(again.devices()).toEqual([status('X-1', { run: 'crashed', crashes: 2 })]);
    expect(again.events()).toEqual([{ at: 1, id: 'X-1', kind: 'crashed', data: { code: 137 } }]);
    again.close();
  });
});

describe('fleet.db on a full disk', () => {
  const isRoot = process.getuid?.() === 0;
  it.skipIf(!isRoot)('keeps what it could not write, says so once, and writes it all once there is room again', () => {
    const mount = join(root, 'small');
    execFileSync('mkdir', ['-p', mount]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mount]);
    const path = join(mount, 'fleet.db');
    const errors: string[] = [];
    const db = openFleetDb(path, { flushMs: 60_000, onError: (e) => errors.push(e.message) });
    try {
      db.device(status('F-1'));
      db.flush();
      // the rest of the disk taken
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${join(mount, 'filler')}`, 'bs=64k'], { stdio: 'ignore' });
      } catch {
        // dd ends with "no space left"
      }
      const big = 'x'.repeat(300);
      for (let i = 0; i < 1000; i++) db.event({ at: i, id: 'F-1', kind: 'log', line: `${i} ${big}` });
      db.device(status('F-1', { version: '2.0.0' }));
      expect(() => db.flush()).not.toThrow();
      expect(() => db.flush()).not.toThrow();
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(new RegExp(`^${path}: cannot record the fleet's state: .*full.*; kept in memory and tried again$`));
      rmSync(join(mount, 'filler'));
      db.flush();
      expect(errors[1]).toBe(`${path}: recording again after 2 failed write(s)`);
      expect(db.devices()).toEqual([status('F-1', { version: '2.0.0' })]);
      expect(db.events('F-1', 1)[0]?.line).toBe(`999 ${big}`);
      db.close();
    } finally {
      db.close();
      execFileSync('umount', [mount]);
    }
  });

  it('names the file it cannot open', () => {
    const path = join(root, 'garbage.db');
    execFileSync('sh', ['-c', `head -c 8192 /dev/urandom > ${path}`]);
    expect(() => openFleetDb(path)).toThrow(new RegExp(`^${path}: cannot open the fleet's database: .* \\(move it away and a new one is made\\)$`));
  });
});
