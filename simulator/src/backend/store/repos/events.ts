import type { Ctx } from '../context.js';
import type { StoredEvent } from '../types.js';
import type { WriteBehind } from '../write-behind.js';

export interface EventFilter {
  /** Only events with an id greater than this. */
  since?: number;
  /** At most this many, oldest first (default 100, capped at 10 000). */
  limit?: number;
  device_uuid?: string;
  kind?: string;
}

export function eventsRepo(ctx: Ctx, writeBehind: WriteBehind) {
  const decode = (row: Record<string, unknown>): StoredEvent => ({ ...(row as unknown as StoredEvent), data: JSON.parse(row['data'] as string) });
  const cache = new Map<string, ReturnType<Ctx['db']['prepare']>>();
  return {
    /** Queued and written with the next batch; see WriteBehind. */
    record(kind: string, deviceUuid: string | null, data?: unknown): void {
      writeBehind.record(ctx.now(), deviceUuid, kind, data);
    },
    /** Committed events; what is still queued is written first when the database takes it. */
    list(filter: EventFilter = {}): StoredEvent[] {
      writeBehind.flushForRead();
      const clauses = ['id > @since'];
      if (filter.device_uuid !== undefined) clauses.push('device_uuid = @device_uuid');
      if (filter.kind !== undefined) clauses.push('kind = @kind');
      const sql = `SELECT id, at, device_uuid, kind, data FROM events WHERE ${clauses.join(' AND ')} ORDER BY id LIMIT @limit`;
      let stmt = cache.get(sql);
      if (stmt === undefined) cache.set(sql, (stmt = ctx.db.prepare(sql)));
      const limit = Math.min(Math.max(filter.limit ?? 100, 1), 10_000);
      const params = { since: filter.since ?? 0, limit, device_uuid: filter.device_uuid, kind: filter.kind };
      return (stmt.all(params) as Record<string, unknown>[]).map(decode);
    },
    count: (): number => ctx.db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number,
    /** Deletes events beyond the retention bound now (normally done every `pruneEvery` inserts). */
    prune: (limit?: number): number => writeBehind.prune(limit),
  };
}

export type EventsRepo = ReturnType<typeof eventsRepo>;
