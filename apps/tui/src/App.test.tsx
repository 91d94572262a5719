import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { App } from './App.js';
import { createFleetStore, type FleetStore } from './store/fleet-store.js';
import { fakeDevice, fakeFleetOf, type FakeFleet } from './test-support/fake-fleet.js';

const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));
const stores: FleetStore[] = [];
afterEach(() => {
  cleanup();
  for (const s of stores.splice(0)) s.stop();
});

async function mount(fleet: FakeFleet, extra: Partial<Parameters<typeof App>[0]> = {}, size = { columns: 80, rows: 24 }) {
  const store = createFleetStore(fleet, { refreshMs: 60_000 });
  stores.push(store);
  const ui = render(<App fleet={fleet} store={store} size={size} now={() => 1_000_000} {...extra} />);
  await store.refresh();
  await tick();
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      ui.stdin.write(k);
      await tick();
    }
  };
  const frame = () => ui.lastFrame() ?? '';
  return { ui, store, press, frame };
}

describe('fleet table', () => {
  it('shows the columns and states of each device at 80×24, never wider or taller', async () => {
    const fleet = fakeFleetOf(6);
    fleet.set('EI-ML-0003', { phase: 'downloading', progress: 40, lastSeen: 1_000_000 - 5000 });
    fleet.set('EI-ML-0004', { run: 'crashed' });
    fleet.set('EI-ML-0005', { tunnel: '22→127.0.0.1:41022' });
    const { frame } = await mount(fleet);
    const lines = frame().split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(frame()).toMatch(/DEVICE\s+TAGS\s+RUNTIME\s+STATE\s+VERSION\s+S\s+PROGRESS\s+SEEN\s+TUNNEL/);
    expect(frame()).toMatch(/EI-ML-0001\s+canary\s+inproc\s+online\s+1\.1\.0\s+a/);
    expect(frame()).toMatch(/EI-ML-0003 .* downloading .*█+░+\s+40%\s+5s/);
    expect(frame()).toMatch(/EI-ML-0004 .* crashed/);
    expect(frame()).toContain('22→:41022');
    expect(frame()).toContain('6 devices · 5 online');
  });
});
