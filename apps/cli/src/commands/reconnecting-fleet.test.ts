import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectFleet, startSupervisor, type Supervisor } from '@vfleet/simulator';
import { createFleetStore } from '@vfleet/tui';
import { reconnectingFleet } from './reconnecting-fleet.js';

const root = mkdtempSync(join(tmpdir(), 'vft-tui-reconnect-'));
const home = join(root, 'home');
let supervisor: Supervisor | undefined;
afterAll(async () => {
  await supervisor?.stop();
  rmSync(root, { recursive: true, force: true });
});

const start = () =>
  startSupervisor({ home, devicesDir: join(root, 'devices'), runtime: 'inproc', count: 2, sizeScale: 1 / 4096, ports: { device: 0, admin: 0, binary: 0 }, diskBytes: 0 });

async function until(what: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the TUI attached to a supervisor', () => {
  it('shows a banner while the supervisor is gone and picks the fleet up again when one answers, events included', async () => {
    supervisor = await start();
    const fleet = reconnectingFleet(await connectFleet(home), () => connectFleet(home), 100);
    const store = createFleetStore(fleet, { refreshMs: 100 });
    store.start();
    try {
      await until(() => store.getSnapshot().devices.length === 2);
      expect(store.getSnapshot().banner).toBeUndefined();

      await supervisor.stop();
      supervisor = undefined;
      await until(() => store.getSnapshot().banner !== undefined);
      expect(store.getSnapshot().banner).toMatch(/^fleet unreachable: /);
      expect(store.getSnapshot().devices.map((d) => d.id)).toEqual(['EI-ML-0001', 'EI-ML-0002']);

      supervisor = await start();
      // the backoff caps at 10 s (refresh 100 ms: 0.2, 0.4, 0.8, 1.6 s)
      await until(() => store.getSnapshot().banner === undefined, 20_000);
      const events = store.getSnapshot().events.length;
      await fleet.reboot({ ids: ['EI-ML-0001'] }).catch(() => undefined);
      await fleet.kill({ ids: ['EI-ML-0002'] });
      // events of the new supervisor reach the listener the store subscribed before the restart
      await until(() => store.getSnapshot().events.slice(events).some((e) => e.id === 'EI-ML-0002'));
    } finally {
      store.stop();
      await fleet.close();
    }
  }, 60_000);
});
