import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import { VfleetError } from '@vfleet/core';
import type { FleetRecorder } from '../orchestrator.js';
import type { DeviceEvent, DeviceStatus } from '../types.js';

export interface FleetDbOptions {
  /** Events kept per device (default 500). */
  perDevice?: number;
  /** Events kept in all (default 200,000). */
  total?: number;
  /** Write-behind period (default 250 ms); also flushed when 5,000 events wait. */
  flushMs?: number;
  /**
   * A batch that could not be written (disk full, I/O error): it stays queued and is tried again,
   * and this hears of it once per streak of failures, and again when the writes resume. Default: a
   * warning line.
   */
  onError?: (e: Error) => void;
}

/** Events kept in memory while writes fail; beyond it the oldest go (and the count is reported). */
const MAX_WAITING = 100_000;

export interface FleetDb extends FleetRecorder {
  /** Writes what waits now. */
  flush(): void;
  devices(): DeviceStatus[];
  events(id?: string, limit?: number): DeviceEvent[];
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS devices (
  id TEXT PRIMARY KEY, status TEXT NOT NULL, updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, device TEXT NOT NULL,
  kind TEXT NOT NULL, line TEXT, data TEXT
);
CREATE INDEX IF NOT EXISTS events_device ON events (device, seq);
`;

interface EventRow {
  seq: number;
  at: number;
  device: string;
  kind: DeviceEvent['kind'];
  line: string | null;
  data: string | null;
}

/**
 * `fleet.db`: the last status of every device and a bounded event history, in SQLite (WAL).
 * Writes are batched (write-behind) so thousands of chatty devices cost one transaction per period.
 */
export function openFleetDb(path: string, opts: FleetDbOptions = {}): FleetDb {
  const perDevice = opts.perDevice ?? 500;
  const total = opts.total ?? 200_000;
  const onError = opts.onError ?? ((e: Error) => process.emitWarning(e.message));
  let db: Database;
  try {
    mkdirSync(dirname(path), { recursive: true });
    db = new BetterSqlite3(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
  } catch (e) {
    throw new VfleetError('VFLEET_IO', `${path}: cannot open the fleet's database: ${(e as Error).message} (move it away and a new one is made)`, { cause: e });
  }
  const putDevice: Statement = db.prepare('INSERT INTO devices (id, status, updated_at) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at');
  const delDevice = db.prepare('DELETE FROM devices WHERE id = ?');
  const delDeviceEvents = db.prepare('DELETE FROM events WHERE device = ?');
  const putEvent = db.prepare('INSERT INTO events (at, device, kind, line, data) VALUES (?, ?, ?, ?, ?)');
  const pruneDevice = db.prepare('DELETE FROM events WHERE device = ? AND seq < (SELECT seq FROM events WHERE device = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)');
  const pruneTotal = db.prepare('DELETE FROM events WHERE seq <= (SELECT MAX(seq) FROM events) - ?');
  const dirty = new Map<string, DeviceStatus | null>();
  let pending: DeviceEvent[] = [];
  const sinceTrim = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  /** Failed writes in a row, and events dropped meanwhile (beyond MAX_WAITING). */
  let failing = 0;
  let dropped = 0;

  const write = db.transaction((events: DeviceEvent[], devices: Array<[string, DeviceStatus | null]>) => {
    const now = Date.now();
    for (const [id, status] of devices) {
      if (status === null) {
        delDevice.run(id);
        delDeviceEvents.run(id);
        sinceTrim.delete(id);
      } else putDevice.run(id, JSON.stringify(status), now);
    }
    for (const e of events) {
      putEvent.run(e.at, e.id, e.kind, e.line ?? null, e.data === undefined ? null : JSON.stringify(e.data));
      const n = (sinceTrim.get(e.id) ?? 0) + 1;
      // trimming per device costs a query; do it once a quarter of the allowance has come in
      if (n >= Math.max(1, perDevice / 4)) {
        pruneDevice.run(e.id, e.id, perDevice - 1);
        sinceTrim.set(e.id, 0);
      } else sinceTrim.set(e.id, n);
    }
    if (events.length > 0) pruneTotal.run(total);
  });

  function flush(): void {
    clearTimeout(timer);
    timer = undefined;
    if (closed || (pending.length === 0 && dirty.size === 0)) return;
    const events = pending;
    const devices = [...dirty];
    try {
      write(events, devices);
    } catch (e) {
      // rolled back: the batch stays queued (bounded) and is tried again; the fleet carries on
      if (pending.length > MAX_WAITING) {
        dropped += pending.length - MAX_WAITING;
        pending = pending.slice(-MAX_WAITING);
      }
      if (failing++ === 0) onError(new Error(`${path}: cannot record the fleet's state: ${(e as Error).message}; kept in memory and tried again`));
      if (timer === undefined) {
        timer = setTimeout(flush, Math.max(1000, opts.flushMs ?? 250));
        timer.unref();
      }
      return;
    }
    pending = [];
    dirty.clear();
    if (failing > 0) {
      onError(new Error(`${path}: recording again after ${failing} failed write(s)${dropped > 0 ? `; the ${dropped} oldest waiting events were dropped` : ''}`));
      failing = 0;
      dropped = 0;
    }
  }

  function later(): void {
    if (closed) return;
    if (pending.length >= 5000) return flush();
    if (timer === undefined) {
      timer = setTimeout(flush, opts.flushMs ?? 250);
      timer.unref();
    }
  }

  const rowToEvent = (r: EventRow): DeviceEvent => ({
    at: r.at,
    id: r.device,
    kind: r.kind,
    ...(r.line === null ? {} : { line: r.line }),
    ...(r.data === null ? {} : { data: JSON.parse(r.data) as NonNullable<DeviceEvent['data']> }),
  });

  return {
    device(status) {
      dirty.set(status.id, status);
      later();
    },
    event(e) {
      pending.push(e);
      later();
    },
    forget(id) {
      pending = pending.filter((e) => e.id !== id);
      dirty.set(id, null);
      later();
    },
    flush,
    devices() {
      flush();
      return (db.prepare('SELECT status FROM devices ORDER BY id').all() as Array<{ status: string }>).map((r) => JSON.parse(r.status) as DeviceStatus);
    },
    events(id, limit = 100) {
      flush();
      const rows = (
        id === undefined
          ? db.prepare('SELECT * FROM events ORDER BY seq DESC LIMIT ?').all(limit)
          : db.prepare('SELECT * FROM events WHERE device = ? ORDER BY seq DESC LIMIT ?').all(id, limit)
      ) as EventRow[];
      return rows.reverse().map(rowToEvent);
    },
    close() {
      if (closed) return;
      flush();
      closed = true;
      clearTimeout(timer);
      if (pending.length > 0 || dirty.size > 0) onError(new Error(`${path}: closed with ${pending.length} event(s) and ${dirty.size} status(es) not recorded`));
      try {
        db.close();
      } catch (e) {
        onError(new Error(`${path}: ${(e as Error).message}`));
      }
    },
  };
}
