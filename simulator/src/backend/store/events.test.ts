import { afterEach, describe, expect, it } from 'vitest';
import { tempStore, type TempStore } from './fixtures/temp-store.js';
import { EVENT_DATA_HEAD_CHARS, MAX_EVENT_DATA_CHARS } from './write-behind.js';

let t: TempStore | undefined;
afterEach(() => t?.cleanup());

describe('events', () => {
  it('are listed oldest first after an id, with a limit and filters', () => {
    t = tempStore();
    for (let i = 1; i <= 5; i++) t.store.recordEvent(i % 2 === 0 ? 'join' : 'poll', i === 3 ? null : 'dev-a', { i });
    const all = t.store.events.list();
    expect(all.map((e) => e.data)).toEqual([1, 2, 3, 4, 5].map((i) => ({ i })));
    const firstId = all[0]?.id ?? 0;
    expect(t.store.events.list({ since: firstId + 1, limit: 2 }).map((e) => e.id)).toEqual([firstId + 2, firstId + 3]);
    expect(t.store.events.list({ kind: 'join' }).map((e) => e.data)).toEqual([{ i: 2 }, { i: 4 }]);
    expect(t.store.events.list({ device_uuid: 'dev-a' })).toHaveLength(4);
  });

  it('keep the newest N rows, pruned in batches', () => {
    t = tempStore({ retention: 100, pruneEvery: 50, maxPending: 10 });
    for (let i = 0; i < 1000; i++) t.store.recordEvent('poll', null, { i });
    t.store.flush();
    expect(t.store.events.count()).toBeLessThanOrEqual(100 + 60);
    const kept = t.store.events.list({ limit: 10_000 });
    expect(kept.at(-1)?.data).toEqual({ i: 999 });
    t.store.events.prune(10_000);
    expect(t.store.events.count()).toBe(100);
    expect(t.store.events.list({ limit: 1 })[0]?.data).toEqual({ i: 900 });
  });

  it('keep at most the head of data that a device made too big, with its size, and refuse data JSON cannot hold', () => {
    t = tempStore({ flushMs: 0 });
    const params = { p: 'x'.repeat(1024 * 1024) };
    t.store.recordEvent('socket_join', 'dev-a', params);
    t.store.recordEvent('socket_join', 'dev-a', { p: 'small' });
    const [big, small] = t.store.events.list();
    const json = JSON.stringify(params);
    expect(big?.data).toEqual({ truncated: true, chars: json.length, head: json.slice(0, EVENT_DATA_HEAD_CHARS) });
    expect(JSON.stringify(big?.data).length).toBeLessThan(MAX_EVENT_DATA_CHARS);
    expect(small?.data).toEqual({ p: 'small' });
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => t?.store.recordEvent('socket_join', 'dev-a', deep)).toThrow(/event\.data.*cannot be stored as JSON/);
  });

  it('ids keep growing after pruning, so since-cursors stay valid', () => {
    t = tempStore({ retention: 1, pruneEvery: 1, flushMs: 0 });
    t.store.recordEvent('a', null);
    t.store.recordEvent('b', null);
    const last = t.store.events.list()[0]?.id ?? 0;
    t.store.events.prune();
    t.store.recordEvent('c', null);
    expect(t.store.events.list({ since: last }).map((e) => [e.kind, e.id > last])).toEqual([['c', true]]);
  });

  it('refuses data that is not JSON', () => {
    t = tempStore();
    const loop: Record<string, unknown> = {};
    loop['self'] = loop;
    expect(() => t?.store.recordEvent('x', null, loop)).toThrow(/event.data: cannot be stored as JSON/);
  });
});
