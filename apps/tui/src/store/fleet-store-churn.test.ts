import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import type { DeviceEvent } from '@vfleet/simulator';
import { createFleetStore } from './fleet-store.js';
import { fakeFleetOf } from '../test-support/fake-fleet.js';
import { MAX_TEXT } from '../format.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapAfterGc = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

describe('fleet store under churn', () => {
  it('keeps up when far more events arrive between refreshes than it queues', async () => {
    const fleet = fakeFleetOf(5000);
    const store = createFleetStore(fleet, { refreshMs: 60_000 });
    store.start();
    await store.refresh();
    const watched: DeviceEvent[] = [];
    store.watch('EI-ML-0001', (events) => watched.push(...events));
    const events = Array.from({ length: 1_000_000 }, (_, i): DeviceEvent => ({ at: i, id: `EI-ML-${String((i % 5000) + 1).padStart(4, '0')}`, kind: i % 2 ? 'log' : 'checking', line: `line ${i}` }));
    const t0 = performance.now();
    for (const e of events) fleet.emit(e);
    const ms = performance.now() - t0;
    await store.refresh();
    // the newest 20,000 are kept, the rest counted as dropped
    expect(watched.map((e) => e.line)).toEqual(Array.from({ length: 4 }, (_, k) => `line ${980_000 + k * 5000}`));
    expect(store.getSnapshot().events.at(-1)?.data).toEqual({ message: '980000 events dropped (the UI fell behind)' });
    expect(store.getSnapshot().events.at(-2)?.line).toBe('line 999998');
    // a shift() per event past a full queue: 980,000 of them held the event loop 2-11 s (keys and frames wait)
    expect(ms).toBeLessThan(1000);
    store.stop();
  });

  it('keeps at most MAX_TEXT characters of each kept event, and lets the rest of a long line go', async () => {
    const fleet = fakeFleetOf(2);
    const store = createFleetStore(fleet, { refreshMs: 60_000 });
    store.start();
    await store.refresh();
    const before = heapAfterGc();
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 100; i++) {
        const big = `${round}:${i}:${'x'.repeat(1 << 20)}`;
        fleet.emit({ at: i, id: 'EI-ML-0001', kind: 'error', line: big, data: { message: `m${big}`, code: 3 } });
      }
      await store.refresh();
    }
    const grown = heapAfterGc() - before;
    const events = store.getSnapshot().events;
    expect(events).toHaveLength(400);
    expect(events[0]?.line).toBe(`0:0:${'x'.repeat(MAX_TEXT - 4)}…`);
    expect(events[0]?.data).toEqual({ message: `m0:0:${'x'.repeat(MAX_TEXT - 5)}…`, code: 3 });
    expect(events.every((e) => (e.line?.length ?? 0) <= MAX_TEXT + 1)).toBe(true);
    // 400 events of two 1 MB texts each held 840 MB; a cut text must not keep its whole line alive
    expect(grown).toBeLessThan(64 * 1024 * 1024);
    store.stop();
  });
});
