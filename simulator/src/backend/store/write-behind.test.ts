// Batched writes while the database cannot be written. A deferred foreign key makes every COMMIT
// that holds an event fail, as SQLITE_FULL does on a full disk (the statements succeed, the commit
// does not and better-sqlite3 rolls back); inserting the parent row "frees the disk" again.
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { seedCatalog } from './fixtures/seed.js';
import { tempStore, type TempStore } from './fixtures/temp-store.js';
import type { StoreOptions } from './open-store.js';

let t: TempStore | undefined;
let other: BetterSqlite3.Database | undefined;
afterEach(() => {
  other?.close();
  other = undefined;
  t?.cleanup();
  t = undefined;
});

/** A store whose commits fail until `free()`; `errors` holds what onError was told. */
function failingStore(options: StoreOptions) {
  const errors: string[] = [];
  t = tempStore({ ...options, onError: (e) => errors.push((e as Error).message) });
  const db = (other = new BetterSqlite3(t.file));
  db.exec(`CREATE TABLE fence_parent (id INTEGER PRIMARY KEY);
    CREATE TABLE fence (p INTEGER REFERENCES fence_parent(id) DEFERRABLE INITIALLY DEFERRED);
    CREATE TRIGGER fence_events AFTER INSERT ON events BEGIN INSERT INTO fence VALUES (1); END;`);
  const store = t.store;
  return {
    store,
    errors,
    free: () => db.exec('INSERT INTO fence_parent VALUES (1)'),
    /** What another connection sees: committed rows only. */
    committed: () => ({
      events: (db.prepare("SELECT data FROM events WHERE kind = 'probe' ORDER BY id").pluck().all() as string[]).map((d) => (JSON.parse(d) as { i: number }).i),
      versions: db.prepare('SELECT reported_version FROM devices ORDER BY identifier').pluck().all(),
    }),
  };
}

const until = async (ok: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
};

describe('write-behind while commits fail', () => {
  it('keeps every batch whose COMMIT failed queued and writes it once commits succeed again', async () => {
    const f = failingStore({ flushMs: 20, maxPending: 10_000 });
    const s = seedCatalog(f.store);
    const devices = [0, 1].map((i) => f.store.devices.create({ product_uuid: s.product.uuid, identifier: `D${i}` }));
    for (let round = 0; round < 3; round++) {
      for (const d of devices) f.store.touchDevice(d.uuid, { release_prn: 'prn:x', version: `9.9.${round}`, bundle_prn: null });
      for (let i = 0; i < 100; i++) f.store.recordEvent('probe', null, { i: round * 100 + i });
      await new Promise((r) => setTimeout(r, 40));
    }
    expect(f.errors.length).toBeGreaterThan(0);
    expect(f.errors[0]).toMatch(/FOREIGN KEY constraint failed/);
    expect(f.committed().events).toEqual([]);
    f.free();
    await until(() => f.committed().events.length === 300);
    expect(f.committed()).toEqual({ events: Array.from({ length: 300 }, (_, i) => i), versions: ['9.9.2', '9.9.2'] });
  });

  it('lets events be listed while writes fail (what is committed), and lists the rest once they succeed', async () => {
    const f = failingStore({ flushMs: 60_000, maxPending: 10_000 });
    for (let i = 0; i < 20; i++) f.store.recordEvent('probe', null, { i });
    const probes = () => f.store.events.list({ kind: 'probe' }).map((e) => (e.data as { i: number }).i);
    expect(probes()).toEqual([]);
    expect(probes()).toEqual([]);
    expect(f.errors).toHaveLength(1);
    f.free();
    await until(() => f.committed().events.length === 20, 10_000);
    expect(probes()).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('does not throw at the recorder when a batch past maxPending cannot be written, and keeps it', async () => {
    const f = failingStore({ flushMs: 0, maxPending: 10 });
    for (let i = 0; i < 50; i++) expect(() => f.store.recordEvent('probe', null, { i })).not.toThrow();
    // one failed write, then the backed-off timer: not one full-batch attempt per event
    expect(f.errors.length).toBeLessThan(5);
    f.free();
    await until(() => f.committed().events.length === 50);
    expect(f.committed().events).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('drops the oldest events beyond maxQueued while failing, and says so once', async () => {
    const f = failingStore({ flushMs: 10, maxPending: 20, maxQueued: 100 });
    for (let i = 0; i < 1000; i++) f.store.recordEvent('probe', null, { i });
    await new Promise((r) => setTimeout(r, 30));
    const dropped = f.errors.filter((m) => /dropped the \d+ oldest queued events to keep at most 100/.test(m));
    expect(dropped).toHaveLength(1);
    f.free();
    f.store.flush();
    const kept = f.committed().events;
    expect(kept.length).toBeLessThanOrEqual(100);
    expect(kept.length).toBeGreaterThanOrEqual(90);
    expect(kept.at(-1)).toBe(999);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 1000 - kept.length + i));
  });

  it('close() with a batch that cannot be written reports it through onError and still closes the database', () => {
    const f = failingStore({ flushMs: 60_000 });
    for (let i = 0; i < 5; i++) f.store.recordEvent('probe', null, { i });
    expect(() => f.store.close()).not.toThrow();
    expect(f.errors).toEqual([expect.stringMatching(/backend\.db: 5 queued events and 0 device sightings could not be written before closing and are lost \(FOREIGN KEY/)]);
    expect(() => f.store.events.count()).toThrow(/not open/);
  });
});
