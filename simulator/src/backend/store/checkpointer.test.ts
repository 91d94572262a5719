import { existsSync, statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../test-support/device.js';
import { tempStore, type TempStore } from './fixtures/temp-store.js';
import { openStore } from './open-store.js';

let t: TempStore | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

const walBytes = (file: string) => statSync(`${file}-wal`).size;
/** Enough single-row commits to pass SQLite's 1000-page automatic checkpoint threshold several times. */
const writeMany = (s: TempStore['store'], n: number) => {
  for (let i = 0; i < n; i++) s.events.record('bench', null, { i, pad: 'x'.repeat(200) });
  s.flush();
};

describe('WAL checkpoints in a worker thread', () => {
  it('the serving connection does not checkpoint inside its commits while the worker runs', () => {
    const plain = tempStore({ flushMs: 0 });
    try {
      writeMany(plain.store, 3000);
      expect(walBytes(plain.file)).toBeLessThan(4096 * 1100); // SQLite's own checkpoint kept it near 1000 pages
    } finally {
      plain.cleanup();
    }
    t = tempStore({ flushMs: 0, checkpointWorker: { everyMs: 60_000 } }); // the worker's first tick is far away
    writeMany(t.store, 3000);
    expect(walBytes(t.file)).toBeGreaterThan(4096 * 2000);
    expect(t.store.checkpoints()).toBe(0);
  });

  it('the worker checkpoints on its timer, after which the WAL is reused instead of growing', async () => {
    t = tempStore({ flushMs: 0, checkpointWorker: { everyMs: 20 } });
    writeMany(t.store, 3000);
    const before = t.store.checkpoints();
    await until(() => (t?.store.checkpoints() ?? 0) >= before + 2, 10_000);
    const size = walBytes(t.file);
    writeMany(t.store, 100);
    expect(walBytes(t.file)).toBe(size);
    expect(t.store.events.count()).toBe(3100);
  });

  it('the store closes with the worker running, leaves no WAL behind, and reopens with every event', async () => {
    t = tempStore({ flushMs: 0, checkpointWorker: { everyMs: 20 } });
    writeMany(t.store, 50);
    await until(() => (t?.store.checkpoints() ?? 0) >= 1, 10_000);
    t.store.close();
    // the worker closed first, so the store's own close was the last and removed the WAL and shm files:
    // nothing is still writing in the directory once close() returns
    expect([existsSync(`${t.file}-wal`), existsSync(`${t.file}-shm`)]).toEqual([false, false]);
    const again = openStore(t.file);
    try {
      expect(again.events.count()).toBe(50);
    } finally {
      again.close();
    }
  });
});
