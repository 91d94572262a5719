import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { Text } from 'ink';
import { useDeviceLogs } from './use-device-logs.js';
import { createFleetStore } from '../store/fleet-store.js';
import { fakeFleetOf, type FakeFleet } from '../test-support/fake-fleet.js';
import type { FleetStore } from '../store/fleet-store.js';
import { MAX_TEXT } from '../format.js';

afterEach(() => cleanup());
const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));

describe('device logs', () => {
  it('keeps each line cut to MAX_TEXT characters, from history and from the feed', async () => {
    const fleet: FakeFleet = fakeFleetOf(1);
    const big = (tag: string) => `${tag}${'x'.repeat(1 << 20)}`;
    fleet.logLines.set('EI-ML-0001', [big('history:'), 'short']);
    const store: FleetStore = createFleetStore(fleet, { refreshMs: 60_000 });
    store.start();
    let seen: string[] = [];
    function Probe() {
      const { lines } = useDeviceLogs(fleet, store, 'EI-ML-0001');
      seen = lines;
      return <Text>{lines.length}</Text>;
    }
    render(<Probe />);
    await tick();
    fleet.emit({ at: 1, id: 'EI-ML-0001', kind: 'log', line: big('live:') });
    await store.refresh();
    await tick();
    store.stop();
    expect(seen.map((l) => l.length)).toEqual([MAX_TEXT + 1, 5, MAX_TEXT + 1]);
    expect(seen[0]).toBe(`history:${'x'.repeat(MAX_TEXT - 8)}…`);
    expect(seen[2]).toBe(`live:${'x'.repeat(MAX_TEXT - 5)}…`);
  });
});
