import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFleetStore } from './fleet-store.js';
import { fakeFleetOf } from '../test-support/fake-fleet.js';

afterEach(() => {
  vi.useRealTimers();
});

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('fleet store', () => {
  it('publishes at most once per refresh however many events arrive, and asks the fleet only when something changed', async () => {
    vi.useFakeTimers();
    const fleet = fakeFleetOf(3);
    let fetches = 0;
    const devices = fleet.devices.bind(fleet);
    fleet.devices = () => {
      fetches++;
      return devices();
    };
    const store = createFleetStore(fleet, { refreshMs: 1000, resyncMs: 5000, now: () => Date.now() });
    let published = 0;
    store.subscribe(() => published++);
    store.start();
    await flush();
    expect(published).toBe(1);
    expect(store.getSnapshot().devices.map((d) => d.id)).toEqual(['EI-ML-0001', 'EI-ML-0002', 'EI-ML-0003']);
    for (let i = 0; i < 5000; i++) fleet.emit({ at: i, id: 'EI-ML-0001', kind: i % 2 ? 'log' : 'checking', line: `line ${i}` });
    expect(published).toBe(1); // nothing until the next refresh
    await vi.advanceTimersByTimeAsync(1000);
    expect(published).toBe(2);
    expect(fetches).toBe(2);
    // log lines stay out of the feed; the feed keeps the newest maxEvents (1000)
    expect(store.getSnapshot().events).toHaveLength(1000);
    expect(store.getSnapshot().events.every((e) => e.kind === 'checking')).toBe(true);
    expect(store.getSnapshot().events.at(-1)?.line).toBe('line 4998');
    // quiet fleet: no fetch and no publish until the resync interval
    await vi.advanceTimersByTimeAsync(3000);
    expect(fetches).toBe(2);
    expect(published).toBe(2);
    await vi.advanceTimersByTimeAsync(2000);
    expect(fetches).toBe(3);
    expect(store.getSnapshot().history.length).toBe(3);
    store.stop();
    fleet.emit({ at: 0, id: 'EI-ML-0001', kind: 'checking' });
    await vi.advanceTimersByTimeAsync(5000);
    expect(published).toBe(3); // stopped: unsubscribed, no timer
  });

  it('hands each watcher only its device events, log lines included, once per refresh', async () => {
    vi.useFakeTimers();
    const fleet = fakeFleetOf(2);
    const store = createFleetStore(fleet, { refreshMs: 500 });
    const seen: string[][] = [];
    store.start();
    const unwatch = store.watch('EI-ML-0002', (events) => seen.push(events.map((e) => e.line ?? e.kind)));
    fleet.emit({ at: 1, id: 'EI-ML-0002', kind: 'log', line: 'a' });
    fleet.emit({ at: 2, id: 'EI-ML-0001', kind: 'log', line: 'other' });
    fleet.emit({ at: 3, id: 'EI-ML-0002', kind: 'connected' });
    await vi.advanceTimersByTimeAsync(500);
    expect(seen).toEqual([['a', 'connected']]);
    unwatch();
    fleet.emit({ at: 4, id: 'EI-ML-0002', kind: 'log', line: 'b' });
    await vi.advanceTimersByTimeAsync(500);
    expect(seen).toHaveLength(1);
    store.stop();
  });

  it('turns an unreachable fleet into a banner, backs off, and clears it on recovery', async () => {
    vi.useFakeTimers();
    const fleet = fakeFleetOf(2);
    let calls = 0;
    const devices = fleet.devices.bind(fleet);
    fleet.devices = () => {
      calls++;
      return devices();
    };
    const store = createFleetStore(fleet, { refreshMs: 1000, now: () => Date.now() });
    store.start();
    await flush();
    fleet.fail(true);
    fleet.emit({ at: 0, id: 'EI-ML-0001', kind: 'disconnected' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(store.getSnapshot().banner).toBe('fleet unreachable: connect ECONNREFUSED fleet.sock · retry 1 in 2s');
    expect(store.getSnapshot().devices).toHaveLength(2); // the last good snapshot stays
    const after = calls;
    await vi.advanceTimersByTimeAsync(1000); // within the 2 s backoff: no call
    expect(calls).toBe(after);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toBe(after + 1);
    expect(store.getSnapshot().banner).toMatch(/retry 2 in 4s$/);
    fleet.fail(false);
    await vi.advanceTimersByTimeAsync(4000);
    expect(store.getSnapshot().banner).toBeUndefined();
    expect(store.getSnapshot().loaded).toBe(true);
    store.stop();
  });
});
