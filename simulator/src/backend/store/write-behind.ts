import type { Database, Statement } from 'better-sqlite3';
import { VfleetError } from '@vfleet/core';
import { StoreError } from './errors.js';
import type { ReportedState } from './types.js';

/** Presence and poll bookkeeping waiting for the next batched write. */
export interface PendingTouch {
  /** The earliest sighting in this batch: becomes first_seen_at if the device has none. */
  first_seen_at?: string;
  last_seen_at?: string;
  reported?: ReportedState;
  online?: boolean;
}

function merge(before: PendingTouch | undefined, change: PendingTouch): PendingTouch {
  const merged = { ...before, ...change };
  const first = before?.first_seen_at ?? change.last_seen_at;
  if (first !== undefined) merged.first_seen_at = first;
  return merged;
}

export interface WriteBehindOptions {
  /** How long a touch or event may wait before it is written (0 = write at once). */
  flushMs: number;
  /** Write at once when this many touches or events are waiting. */
  maxPending: number;
  /** Events kept: the newest `retention` rows. */
  retention: number;
  /** Prune after this many inserted events, at most `2 × pruneEvery` rows per pass. */
  pruneEvery: number;
  /**
   * Events kept queued while writes fail (a full disk): beyond this the oldest are dropped, said
   * once per failing period through `onError`. Touches need no bound (one entry per device).
   */
  maxQueued: number;
  /** A batched write failed (the batch stays queued and is retried), or queued events were dropped. */
  onError: (error: unknown) => void;
}

/** The longest wait between retries of a failing batch. */
const MAX_RETRY_MS = 5000;

/** An event's data longer than this (as JSON) is stored as `{truncated, chars, head}` with its first EVENT_DATA_HEAD_CHARS. */
export const MAX_EVENT_DATA_CHARS = 4096;
export const EVENT_DATA_HEAD_CHARS = 1024;

/**
 * Device touches (every poll) and events (every device-facing action) arrive thousands of times a
 * second; one fsync'd transaction each would cap the server, so they are coalesced and written in
 * one transaction per `flushMs`. Neither is acknowledged to anyone, so a crash loses at most that window.
 */
export class WriteBehind {
  private readonly touches = new Map<string, PendingTouch>();
  /** Everything this process has reported per device, written or not, for reads that bypass SQLite. */
  private readonly seen = new Map<string, PendingTouch>();
  private events: [string, string | null, string, string][] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private sincePrune = 0;
  /** Whether the batch being written pruned (write() runs inside the transaction flush() commits). */
  private pruned = false;
  /** Consecutive failed writes: while > 0 nothing is written synchronously, a backed-off timer retries. */
  private failures = 0;
  /** Events dropped during the current failing period (reported once, when the first are dropped). */
  private dropped = 0;
  private readonly touchStmt: Statement;
  private readonly eventStmt: Statement;
  private readonly bounds: Statement;
  private readonly pruneStmt: Statement;
  private readonly writeAll: () => void;

  constructor(
    db: Database,
    private readonly opts: WriteBehindOptions,
  ) {
    this.touchStmt = db.prepare(`UPDATE devices SET
      last_seen_at = COALESCE(@at, last_seen_at), first_seen_at = COALESCE(first_seen_at, @first),
      reported_release_prn = CASE WHEN @reported THEN @release_prn ELSE reported_release_prn END,
      reported_version = CASE WHEN @reported THEN @version ELSE reported_version END,
      reported_bundle_prn = CASE WHEN @reported THEN @bundle_prn ELSE reported_bundle_prn END,
      online = COALESCE(@online, online)
      WHERE uuid = @uuid`);
    this.eventStmt = db.prepare('INSERT INTO events (at, device_uuid, kind, data) VALUES (?, ?, ?, ?)');
    this.bounds = db.prepare('SELECT MIN(id) AS lo, MAX(id) AS hi FROM events');
    this.pruneStmt = db.prepare('DELETE FROM events WHERE id <= ?');
    this.writeAll = db.transaction(() => this.write());
  }

  touch(uuid: string, change: PendingTouch): void {
    this.touches.set(uuid, merge(this.touches.get(uuid), change));
    this.seen.set(uuid, merge(this.seen.get(uuid), change));
    this.scheduled();
  }

  /** The latest presence and report this process knows for the device (written or still queued). */
  latest(uuid: string): PendingTouch | undefined {
    return this.seen.get(uuid);
  }

  forget(uuid: string): void {
    this.touches.delete(uuid);
    this.seen.delete(uuid);
  }

  /** Every device offline, in memory as in the database (the caller updates the table). */
  allOffline(): void {
    this.flush();
    for (const t of this.seen.values()) t.online = false;
  }

  record(at: string, deviceUuid: string | null, kind: string, data: unknown): void {
    let json: string | undefined;
    try {
      json = JSON.stringify(data ?? {});
    } catch (cause) {
      throw new StoreError('invalid', 'event.data', `cannot be stored as JSON (${(cause as Error).message})`, { cause });
    }
    if (json !== undefined && json.length > MAX_EVENT_DATA_CHARS) {
      // what a device sends is kept, but not all of it: 100 000 events of 1 MB each would be 100 GB
      json = JSON.stringify({ truncated: true, chars: json.length, head: json.slice(0, EVENT_DATA_HEAD_CHARS) });
    }
    this.events.push([at, deviceUuid, kind, json ?? '{}']);
    if (this.events.length > this.opts.maxQueued) this.dropOldest();
    this.scheduled();
  }

  /** Touches and events waiting to be written. */
  pending(): { touches: number; events: number } {
    return { touches: this.touches.size, events: this.events.length };
  }

  /** Writes everything queued now; throws (keeping it all queued) when the write fails. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.touches.size === 0 && this.events.length === 0) return;
    try {
      this.writeAll();
    } catch (e) {
      // the transaction rolled back: what it held is still queued, and is retried later
      this.failures++;
      if (this.events.length > this.opts.maxQueued) this.dropOldest();
      throw e;
    }
    // cleared only after COMMIT: a commit that fails (SQLITE_FULL) must not take the batch with it
    this.touches.clear();
    this.sincePrune = this.pruned ? 0 : this.sincePrune + this.events.length;
    this.events = [];
    this.failures = 0;
    this.dropped = 0;
  }

  /** Deletes the oldest events beyond the retention bound, at most `limit` rows. Returns rows deleted. */
  prune(limit = 2 * this.opts.pruneEvery): number {
    const { lo, hi } = this.bounds.get() as { lo: number | null; hi: number | null };
    if (lo === null || hi === null) return 0;
    const cutoff = Math.min(hi - this.opts.retention, lo + limit - 1);
    return cutoff >= lo ? this.pruneStmt.run(cutoff).changes : 0;
  }

  /**
   * Drops the oldest queued events down to 90 % of the bound (not one per record: a splice of a
   * 50 000-entry array on every event would cost more than the write it waits for).
   */
  private dropOldest(): void {
    const drop = this.events.length - Math.floor(this.opts.maxQueued * 0.9);
    if (drop <= 0) return;
    this.events.splice(0, drop);
    if (this.dropped === 0) {
      this.opts.onError(new VfleetError('VFLEET_IO', `backend store: batched writes are failing: dropped the ${drop} oldest queued events to keep at most ${this.opts.maxQueued} in memory (more may go until a write succeeds)`));
    }
    this.dropped += drop;
  }

  private scheduled(): void {
    if (this.failures > 0) {
      // writes are failing: a full batch per record would throw at every caller; the retry timer writes it
      this.retryLater();
    } else if (this.opts.flushMs === 0 || this.touches.size + this.events.length >= this.opts.maxPending) {
      this.flushOrReport();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flushOrReport(), this.opts.flushMs);
      this.timer.unref();
    }
  }

  /**
   * Writes what is queued before a read, if it can: while writes fail the read goes on with what
   * is committed (what waits is still queued, and the failure was reported), rather than failing.
   */
  flushForRead(): void {
    if (this.failures === 0) this.flushOrReport();
  }

  private flushOrReport(): void {
    try {
      this.flush();
    } catch (e) {
      this.opts.onError(e);
      this.retryLater();
    }
  }

  private retryLater(): void {
    if (this.timer !== undefined) return;
    const delay = Math.min(Math.max(this.opts.flushMs, 50) * 2 ** Math.min(this.failures - 1, 10), MAX_RETRY_MS);
    this.timer = setTimeout(() => this.flushOrReport(), delay);
    this.timer.unref();
  }

  private write(): void {
    for (const [uuid, t] of this.touches) {
      const r = t.reported;
      this.touchStmt.run({
        uuid, at: t.last_seen_at ?? null, first: t.first_seen_at ?? null, online: t.online === undefined ? null : t.online ? 1 : 0,
        reported: r === undefined ? 0 : 1, release_prn: r?.release_prn ?? null, version: r?.version ?? null, bundle_prn: r?.bundle_prn ?? null,
      });
    }
    for (const e of this.events) this.eventStmt.run(...e);
    // pruning is part of the same transaction: the counter restarts only once it committed (flush)
    this.pruned = this.sincePrune + this.events.length >= this.opts.pruneEvery;
    if (this.pruned) this.prune();
  }
}
