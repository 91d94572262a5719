import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, schemaVersion } from './migrate.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations.js';
import { openStore } from './open-store.js';
import { STORE_PRAGMAS } from './pragmas.js';

const ORG = '0b9e3a1c-52f4-4a43-9c1e-6d2f0a7b8c9d';
let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vfleet-migrate-'));
  file = join(dir, 'backend.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function rawDb(): BetterSqlite3.Database {
  const db = new BetterSqlite3(file);
  for (const pragma of STORE_PRAGMAS) db.pragma(pragma);
  return db;
}

describe('migrations', () => {
  it('opens a version-1 database, migrates it and keeps its rows', () => {
    const db = rawDb();
    expect(migrate(db, file, 1)).toEqual([1]);
    const now = '2026-01-01T00:00:00.000Z';
    db.prepare('INSERT INTO organization (uuid, name, inserted_at) VALUES (?, ?, ?)').run(ORG, 'acme', now);
    db.prepare('INSERT INTO products (uuid, name, inserted_at, updated_at) VALUES (?, ?, ?, ?)').run('a1b2c3d4-0000-4000-8000-000000000001', 'edge-inference', now, now);
    expect(() => db.prepare('SELECT * FROM events').all()).toThrow(/no such table: events/);
    db.close();

    const store = openStore(file);
    try {
      expect(store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      expect(store.organization()).toEqual({ uuid: ORG, name: 'acme', prn: `prn:1:${ORG}` });
      expect(store.products.getByName('edge-inference')?.prn).toBe(`prn:1:${ORG}:product:a1b2c3d4-0000-4000-8000-000000000001`);
      store.recordEvent('join', null, { topic: 'device' });
      expect(store.events.list().map((e) => e.kind)).toEqual(['join']);
    } finally {
      store.close();
    }
  });

  it('rolls a failed migration back and leaves the version where it was', () => {
    const db = rawDb();
    const broken = [...MIGRATIONS.slice(0, 1), { version: 2, name: 'broken', sql: 'CREATE TABLE half (x); SELECT * FROM missing;' }];
    expect(() => migrate(db, file, 2, broken)).toThrow(/no such table: missing/);
    expect(schemaVersion(db)).toBe(1);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get()).toBeUndefined();
    db.close();
  });

  it('refuses a database from a newer vfleet', () => {
    const db = rawDb();
    migrate(db, file);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, ?, ?)').run('future', 'now');
    db.close();
    expect(() => openStore(file)).toThrow(`schema version 99, newer than this vfleet knows (${LATEST_SCHEMA_VERSION})`);
  });

  it('keeps the organization of an existing database and refuses another', () => {
    openStore(file, { organizationUuid: ORG, organizationName: 'acme' }).close();
    const again = openStore(file);
    expect(again.organization().uuid).toBe(ORG);
    again.close();
    expect(() => openStore(file, { organizationUuid: '99999999-9999-4999-8999-999999999999' })).toThrow(/belongs to organization 0b9e3a1c/);
  });
});
