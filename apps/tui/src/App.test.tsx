import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { App, type AppProps } from './App.js';
import { createFleetStore, type FleetStore } from './store/fleet-store.js';
import type { DeviceEvent, DeviceStatus } from '@vfleet/simulator';
import { createFakeFleet, fakeDevice, fakeFleetOf, type FakeFleet } from './test-support/fake-fleet.js';
import type { ArtifactChoice, ReleaseRow, ReleasesApi } from './releases-api.js';
import type { DemoScript } from './demo-script.js';
import stringWidth from 'string-width';

const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));
const stores: FleetStore[] = [];
afterEach(() => {
  cleanup();
  for (const s of stores.splice(0)) s.stop();
});

const NOW = 1_000_000;
async function mount(fleet: FakeFleet, extra: Partial<AppProps> = {}, size = { columns: 80, rows: 24 }) {
  const store = createFleetStore(fleet, { refreshMs: 60_000, now: () => NOW });
  stores.push(store);
  const ui = render(<App fleet={fleet} store={store} size={size} now={() => NOW} {...extra} />);
  store.start();
  await store.refresh();
  await tick();
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      ui.stdin.write(k);
      await tick();
    }
  };
  const type = (text: string) => press(...text.split(''));
  const frame = () => ui.lastFrame() ?? '';
  return { ui, store, press, type, frame };
}

const ENTER = '\r';
const ESC = '\u001b';
const DOWN = '\u001b[B';
const RIGHT = '\u001b[C';

function expectFits(frame: string, columns: number, rows: number) {
  const lines = frame.split('\n');
  expect(lines.length).toBeLessThanOrEqual(rows);
  for (const l of lines) expect(l.length).toBeLessThanOrEqual(columns);
}

describe('fleet table', () => {
  it('shows each column of each device at 80×24, never wider or taller', async () => {
    const fleet = fakeFleetOf(6);
    fleet.set('EI-ML-0003', { phase: 'downloading', progress: 40, lastSeen: NOW - 5000 });
    fleet.set('EI-ML-0004', { run: 'crashed', tunnel: 'prn:1:0d5e2f4a-8c1b-4e0b-9a55-3f1c7a2b9d10:tunnel:1 peridio-wg0' });
    fleet.set('EI-ML-0005', { tunnel: '22→127.0.0.1:41022', slot: 'b', version: '2.0.0' });
    const { frame } = await mount(fleet);
    expectFits(frame(), 80, 24);
    await expect.poll(frame).toMatch(/DEVICE\s+TAGS\s+RUNTIME\s+STATE\s+VERSION\s+S\s+PROGRESS\s+SEEN\s+TUNNEL/);
    await expect.poll(frame).toMatch(/EI-ML-0001\s+canary\s+inproc\s+online\s+1\.1\.0\s+a/);
    await expect.poll(frame).toMatch(/EI-ML-0003 .* downloading .*█+░+\s+40%\s+5s/);
    await expect.poll(frame).toMatch(/EI-ML-0004 .* crashed .* peridio-…/);
    await expect.poll(frame).toMatch(/EI-ML-0005 .* online\s+2\.0\.0\s+b .*22→:41022/);
    await expect.poll(frame).toContain('6 devices · 5 online');
  });

  it('keeps columns aligned and rows one line when tags or a filter hold wide characters (CJK, emoji)', async () => {
    const fleet = fakeFleetOf(3);
    fleet.set('EI-ML-0002', { tags: ['日本語タグ🙂🚀漢字テスト', 'ünïcödé'] });
    const { frame, press, type } = await mount(fleet);
    await expect.poll(frame).toMatch(/EI-ML-0002\s+日本語/);
    // every row starts its RUNTIME column at the same terminal column, and nothing wrapped
    const rows = frame().split('\n').filter((l) => /EI-ML-000\d/.test(l));
    expect(rows).toHaveLength(3);
    expect(new Set(rows.map((r) => stringWidth(r.slice(0, r.indexOf('inproc')))))).toHaveProperty('size', 1);
    expect(frame()).not.toMatch(/\n\n {2}EI-ML-0003/);
    expect(frame()).not.toContain('#');
    await press('/');
    await type('日本語🙂漢字テスト🚀日本語🙂漢字テスト🚀日本語🙂漢字テスト🚀日本語🙂漢字テスト');
    const lines = frame().split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const l of lines) expect(stringWidth(l), l).toBeLessThanOrEqual(80);
    expect(frame()).not.toContain('#');
  });

  it('renders only the visible window of 10,000 devices and moves through them', async () => {
    const fleet = fakeFleetOf(10_000);
    const { frame, press } = await mount(fleet);
    expectFits(frame(), 80, 24);
    await expect.poll(frame).toContain('EI-ML-0001');
    await expect.poll(frame).not.toContain('EI-ML-0030');
    await expect.poll(frame).toContain('10000/10000 · 1-19');
    await press('G');
    await expect.poll(frame).toContain('EI-ML-9999'); // string order: EI-ML-10000 sorts before EI-ML-1001
    await expect.poll(frame).not.toContain('EI-ML-0001 ');
    await expect.poll(frame).toContain('9982-10000');
    await press('g', DOWN, DOWN);
    await expect.poll(frame).toContain('1-19');
  });

  it('sorts by the next column on o and reverses on O', async () => {
    const fleet = createFakeFleet([
      fakeDevice('EI-ML-0001', { version: '1.1.0' }),
      fakeDevice('EI-ML-0002', { version: '10.0.0' }),
      fakeDevice('EI-ML-0003', { version: '2.0.0' }),
    ]);
    const { frame, press } = await mount(fleet);
    const order = () => [...frame().matchAll(/EI-ML-000\d/g)].map((m) => m[0]);
    await expect.poll(order).toEqual(['EI-ML-0001', 'EI-ML-0002', 'EI-ML-0003']);
    await press('O');
    await expect.poll(order).toEqual(['EI-ML-0003', 'EI-ML-0002', 'EI-ML-0001']);
    await press('o', 'o', 'o'); // id → tags → state → version
    await expect.poll(frame).toContain('sort version↓');
    await expect.poll(order).toEqual(['EI-ML-0002', 'EI-ML-0003', 'EI-ML-0001']);
  });

  it('filters by tag and by free text, and Esc clears the filter', async () => {
    const { frame, press, type } = await mount(fakeFleetOf(6));
    await press('/');
    await type('tag:canary');
    await expect.poll(frame).toContain('filter: tag:canary');
    await press(ENTER);
    await expect.poll(frame).toContain('2/6');
    await expect.poll(frame).not.toContain('EI-ML-0003');
    await press('/', ESC);
    await expect.poll(frame).toContain('6/6');
    await press('/');
    await type('nothing-like-this');
    await press(ENTER);
    await expect.poll(frame).toContain('no device matches the filter');
  });

  it('ignores unknown keys', async () => {
    const { frame, press } = await mount(fakeFleetOf(3));
    const before = frame();
    await press('Z', '%', '\u001b[24~', 'ü');
    await expect.poll(frame).toBe(before);
    // keys ink's parser reads as Ctrl with no name (Ctrl+F1, a pasted colour code) made ink's own
    // input handler throw out of stdin's listener, ending the TUI
    await press('\u001b[1;5P', '\u001b[31m', '\u001b[5m');
    await expect.poll(frame).toBe(before);
    // and the TUI still answers keys
    await press('o');
    await expect.poll(frame).not.toBe(before);
  });

  it('fits a resized terminal', async () => {
    const fleet = fakeFleetOf(50);
    fleet.set('EI-ML-0001', { lastLog: '[info] [Socket] joined device channel' });
    const { ui, store, frame } = await mount(fleet, {}, { columns: 120, rows: 40 });
    await expect.poll(frame).toContain('LAST LOG');
    await expect.poll(frame).toMatch(/EI-ML-0001 .* \[Socket\] joined/);
    await expect.poll(frame).not.toContain('[info]');
    ui.rerender(<App fleet={fleet} store={store} size={{ columns: 60, rows: 15 }} now={() => NOW} />);
    await tick();
    expectFits(frame(), 60, 15);
    await expect.poll(frame).not.toContain('LAST LOG');
    await expect.poll(frame).toMatch(/EI-ML-0001\s+canary\s+online/);
    ui.rerender(<App fleet={fleet} store={store} size={{ columns: 40, rows: 10 }} now={() => NOW} />);
    await tick();
    expectFits(frame(), 40, 10);
    await expect.poll(frame).toMatch(/EI-ML-0001\s+online/);
  });
});

describe('actions', () => {
  it('adds N devices, asking again with the reason when the number is invalid', async () => {
    const fleet = fakeFleetOf(2);
    const { frame, press, type } = await mount(fleet);
    await press('a');
    await expect.poll(frame).toContain('add how many devices?');
    await type('abc');
    await press(ENTER);
    await expect.poll(frame).toContain('"abc" is not a whole number: enter 1–10000');
    await expect.poll(frame).toContain('add how many devices?');
    await type('0');
    await press(ENTER);
    await expect.poll(frame).toContain('0 is out of range');
    await type('3');
    await press(ENTER);
    await tick(50);
    await expect.poll(() => fleet.calls).toContainEqual({ method: 'add', arg: 3 });
    await expect.poll(frame).toContain('added 3 devices');
    await expect.poll(frame).toContain('EI-ML-0005');
  });

  it('asks before stop, reboot, kill and remove; only y goes ahead', async () => {
    const fleet = fakeFleetOf(3);
    const { frame, press } = await mount(fleet);
    await press('x');
    await expect.poll(frame).toContain('stop EI-ML-0001? (y/N)');
    await press('n');
    await expect.poll(frame).toContain('cancelled');
    expect(fleet.calls.filter((c) => c.method === 'stop')).toEqual([]);
    await press('x', 'y');
    await expect.poll(() => fleet.calls).toContainEqual({ method: 'stop', arg: ['EI-ML-0001'] });
    await press(DOWN, 'b', 'y');
    await expect.poll(() => fleet.calls).toContainEqual({ method: 'reboot', arg: ['EI-ML-0002'] });
    await press('K', 'y');
    await expect.poll(() => fleet.calls).toContainEqual({ method: 'kill', arg: ['EI-ML-0002'] });
    await press('s');
    await expect.poll(() => fleet.calls).toContainEqual({ method: 'start', arg: ['EI-ML-0002'] });
    await press('D');
    await expect.poll(frame).toContain('remove EI-ML-0002 and delete its directory? (y/N)');
    await press('y');
    await tick(50);
    await expect.poll(() => fleet.calls).toContainEqual({ method: 'remove', arg: ['EI-ML-0002'] });
    await expect.poll(frame).not.toMatch(/EI-ML-0002\s+canary/);
  });

  it('acts on marked devices', async () => {
    const fleet = fakeFleetOf(4);
    const { frame, press } = await mount(fleet);
    await press(' ', DOWN, ' ');
    await expect.poll(frame).toContain('2 marked');
    await press('b');
    await expect.poll(frame).toContain('reboot 2 devices? (y/N)');
    await press('y');
    await expect.poll(() => fleet.calls).toContainEqual({ method: 'reboot', arg: ['EI-ML-0001', 'EI-ML-0003'] });
  });

  it('offers faults: a kill, and download faults only with the embedded backend', async () => {
    const fleet = fakeFleetOf(2);
    const set: unknown[] = [];
    const { frame, press } = await mount(fleet, { faults: { binaries: async (f) => (set.push(f), `fault set on 4 binaries`) } });
    await press('f');
    await expect.poll(frame).toContain('inject a fault');
    await press('5');
    await tick();
    await expect.poll(() => set).toEqual([{ status: 500 }]);
    await expect.poll(frame).toContain('fault set on 4 binaries');
    await press('f', 'k', 'y');
    await expect.poll(() => fleet.calls).toContainEqual({ method: 'kill', arg: ['EI-ML-0001'] });
  });

  it('says when shell and tunnel are not available, and opens a tunnel on a valid port', async () => {
    const fleet = fakeFleetOf(1);
    const first = await mount(fleet);
    await first.press('c');
    await expect.poll(first.frame).toContain('shell: not available in this build');
    await first.press('t');
    await expect.poll(first.frame).toContain('tunnel: not available in this build');
    cleanup();
    const opened: Array<[string, number]> = [];
    const second = await mount(fleet, { tunnel: async (id, port) => (opened.push([id, port]), `tunnel ${id}:${port} → 127.0.0.1:40000`) });
    await second.press('t');
    await second.type('99999');
    await second.press(ENTER);
    await expect.poll(second.frame).toContain('99999 is out of range: enter 1–65535');
    await second.press(ENTER);
    await tick();
    await expect.poll(() => opened).toEqual([['EI-ML-0001', 22]]);
    await expect.poll(second.frame).toContain('tunnel EI-ML-0001:22 → 127.0.0.1:40000');
  });

  it('asks before quitting a fleet it owns', async () => {
    let quit = 0;
    const { frame, press } = await mount(fakeFleetOf(1), { ownsFleet: true, onQuit: () => quit++ });
    await press('q');
    await expect.poll(frame).toContain('quit and stop the fleet? (y/N)');
    await press('n');
    await expect.poll(() => quit).toBe(0);
    await press('q', 'y');
    await expect.poll(() => quit).toBe(1);
  });
});

describe('summary', () => {
  it('counts states and versions and charts the rollout of the newest version', async () => {
    const fleet = fakeFleetOf(4);
    const { frame, press, store } = await mount(fleet);
    fleet.set('EI-ML-0001', { version: '2.0.0' });
    fleet.emit({ at: NOW, id: 'EI-ML-0001', kind: 'installed' });
    await store.refresh();
    fleet.set('EI-ML-0002', { version: '2.0.0', run: 'rebooting' });
    fleet.emit({ at: NOW, id: 'EI-ML-0002', kind: 'rebooting' });
    await store.refresh();
    await press('2');
    await expect.poll(frame).toMatch(/running\s+3/);
    await expect.poll(frame).toMatch(/rebooting\s+1/);
    await expect.poll(frame).toMatch(/online\s+4/);
    await expect.poll(frame).toMatch(/2\.0\.0\s+2\s+50%\s+█+/);
    await expect.poll(frame).toMatch(/1\.1\.0\s+2\s+50%/);
    await expect.poll(frame).toContain('ROLLOUT of 2.0.0: 2/4 (50%)');
    // three samples: 0%, 25%, 50% of an 8-row chart: the bottom row has the last two, the third row only the last
    await expect.poll(frame).toMatch(/ {2}0% ┤ ██\n/);
    await expect.poll(frame).toMatch(/ {5}│ {2}█\n/);
    expectFits(frame(), 80, 24);
  });
});

describe('device drill-down', () => {
  it('shows status, follows logs, and shows env, disk slots and events', async () => {
    const fleet = fakeFleetOf(3);
    fleet.logLines.set('EI-ML-0002', ['[Socket] connected', '[Cloud Server] checking for update']);
    const { frame, press, store } = await mount(fleet, {
      inspect: async (id) => ({
        dir: `/tmp/devices/${id}`,
        env: [['peridio_vsn_current', '1.1.0'], ['peridio_active', 'a']],
        slots: [
          { name: 'rootfs-a', offset: 1 << 21, size: 64 << 20, content: 'edge-inference-os 1.1.0 (ok)', active: true },
          { name: 'rootfs-b', offset: 66 << 20, size: 64 << 20, content: 'empty', active: false },
        ],
        notes: ['env: uboot.env'],
      }),
    });
    await press(DOWN, ENTER);
    await expect.poll(frame).toMatch(/EI-ML-0002\s+online \(running\/online\)/);
    await expect.poll(frame).toContain('[Cloud Server] checking for update');
    await expect.poll(() => fleet.calls).toContainEqual({ method: 'logs', arg: 'EI-ML-0002' });
    fleet.emit({ at: NOW, id: 'EI-ML-0002', kind: 'log', line: '[Update] downloading 50%' });
    fleet.emit({ at: NOW, id: 'EI-ML-0001', kind: 'log', line: 'not this device' });
    fleet.emit({ at: NOW, id: 'EI-ML-0002', kind: 'update-available', line: 'update available', data: { version: '2.0.0' } });
    await store.refresh();
    await tick();
    await expect.poll(frame).toContain('[Update] downloading 50%');
    await expect.poll(frame).not.toContain('not this device');
    await expect.poll(frame).toContain('following');
    await press(RIGHT);
    await tick(50);
    await expect.poll(frame).toContain('[env]');
    await expect.poll(frame).toMatch(/peridio_vsn_current\s+= 1\.1\.0/);
    await press(RIGHT);
    await tick(50);
    await expect.poll(frame).toMatch(/▶ rootfs-a .*64 MiB .*edge-inference-os 1\.1\.0 \(ok\)/);
    await press(RIGHT);
    await expect.poll(frame).toMatch(/update-available\s+version=2\.0\.0/);
    await press('b', 'y');
    await expect.poll(() => fleet.calls).toContainEqual({ method: 'reboot', arg: ['EI-ML-0002'] });
    expectFits(frame(), 80, 24);
    await press(ESC);
    await expect.poll(frame).toContain('DEVICE');
  });
});

describe('events feed', () => {
  it('lists events newest last, without plain log lines', async () => {
    const fleet = fakeFleetOf(2);
    const { frame, press, store } = await mount(fleet);
    fleet.emit({ at: NOW, id: 'EI-ML-0001', kind: 'connected' });
    fleet.emit({ at: NOW, id: 'EI-ML-0001', kind: 'log', line: 'just a line' });
    fleet.emit({ at: NOW, id: 'EI-ML-0002', kind: 'crashed', data: { code: 1 } });
    await store.refresh();
    await press('4');
    await expect.poll(frame).toContain('EVENTS (2)');
    await expect.poll(frame).toMatch(/EI-ML-0001\s+\d\d:\d\d:\d\d connected/);
    await expect.poll(frame).toMatch(/EI-ML-0002\s+\d\d:\d\d:\d\d crashed\s+code=1/);
    await expect.poll(frame).not.toContain('just a line');
  });
});

function fakeReleases(): ReleasesApi & { rows: ReleaseRow[]; calls: unknown[][] } {
  const rows: ReleaseRow[] = [
    { uuid: 'r1', name: 'release-r1001', cohort_uuid: 'c1', version: '1.1.0', version_requirement: null, disabled: false, phase_value: null, phase_tags: null },
    { uuid: 'r2', name: 'release-r1002', cohort_uuid: 'c1', version: '2.0.0', version_requirement: '~> 1.1', disabled: true, phase_value: null, phase_tags: ['canary'] },
  ];
  const calls: unknown[][] = [];
  const artifact: ArtifactChoice = { artifact: 'edge-inference-model', version: '3.0.0', binaryUuids: ['b1'] };
  return {
    rows,
    calls,
    list: async () => rows.map((r) => ({ ...r })),
    async setDisabled(uuid, disabled) {
      calls.push(['setDisabled', uuid, disabled]);
      const r = rows.find((x) => x.uuid === uuid);
      if (r) r.disabled = disabled;
    },
    async setPhaseValue(uuid, value) {
      calls.push(['setPhaseValue', uuid, value]);
      const r = rows.find((x) => x.uuid === uuid);
      if (r) Object.assign(r, { phase_value: value, phase_tags: null });
    },
    async setPhaseTags(uuid, tags) {
      calls.push(['setPhaseTags', uuid, tags]);
    },
    artifacts: async () => [artifact],
    async createFromArtifact(choice, opts) {
      calls.push(['create', choice.artifact, opts]);
      const r: ReleaseRow = { uuid: 'r3', name: opts.name, cohort_uuid: opts.cohortUuid, version: opts.version, version_requirement: null, disabled: true, phase_value: 1, phase_tags: null };
      rows.push(r);
      return r;
    },
    binaryUuids: async () => ['b1'],
  };
}

describe('releases', () => {
  it('lists releases, enables, phases by value (asking again on a bad value) and by tags, creates from an artifact', async () => {
    const api = fakeReleases();
    const { frame, press, type } = await mount(fakeFleetOf(2), { releases: api });
    await press('3');
    await tick(50);
    await expect.poll(frame).toMatch(/release-r1001\s+1\.1\.0\s+-\s+enabled\s+everyone/);
    await expect.poll(frame).toMatch(/release-r1002\s+2\.0\.0\s+~> 1\.1\s+disabled\s+tags canary/);
    await press(DOWN, 'e');
    await tick(50);
    await expect.poll(() => api.calls).toContainEqual(['setDisabled', 'r2', false]);
    await expect.poll(frame).toMatch(/release-r1002 .* enabled\s+tags canary/);
    await press('p');
    await type('150%');
    await press(ENTER);
    await expect.poll(frame).toContain('"150%" is not a phase value');
    await type('50%');
    await press(ENTER);
    await tick(50);
    await expect.poll(() => api.calls).toContainEqual(['setPhaseValue', 'r2', 0.5]);
    await expect.poll(frame).toMatch(/release-r1002 .* enabled\s+50%/);
    await press('T');
    await type('canary,beta');
    await press(ENTER);
    await tick();
    await expect.poll(() => api.calls).toContainEqual(['setPhaseTags', 'r2', ['canary', 'beta']]);
    await press('C');
    await tick();
    await expect.poll(frame).toContain('1 edge-inference-model 3.0.0');
    await press('1');
    await expect.poll(frame).toContain('release name (Enter: release-edge-inference-model-3.0.0)');
    await press(ENTER);
    await type('3.0');
    await press(ENTER);
    await expect.poll(frame).toContain('"3.0" is not a version');
    await press(ENTER);
    await tick(50);
    await expect.poll(() => api.calls).toContainEqual(['create', 'edge-inference-model', { name: 'release-edge-inference-model-3.0.0', version: '3.0.0', cohortUuid: 'c1' }]);
    await expect.poll(frame).toContain('release-edge-inference-model-3.0.0');
    expectFits(frame(), 80, 24);
  });

  it('scrolls a release list longer than the view so the cursor row stays in sight', async () => {
    const api = fakeReleases();
    api.rows.splice(0, api.rows.length, ...Array.from({ length: 40 }, (_, i): ReleaseRow => ({
      uuid: `u${i}`, name: `release-n${String(i + 1).padStart(2, '0')}`, cohort_uuid: 'c1', version: `1.${i}.0`, version_requirement: null, disabled: false, phase_value: null, phase_tags: null,
    })));
    const { frame, press } = await mount(fakeFleetOf(1), { releases: api });
    await press('3');
    await expect.poll(frame).toContain('release-n01');
    expect(frame()).not.toContain('release-n40');
    await press(...Array.from({ length: 39 }, () => DOWN));
    await expect.poll(frame).toContain('release-n40');
    expect(frame()).not.toContain('release-n01');
    await press('e');
    await expect.poll(() => api.calls).toContainEqual(['setDisabled', 'u39', true]);
  });

  it('shows the admin API failing as an error with retries, and no releases view without an admin API', async () => {
    const failing = { ...fakeReleases(), list: async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:4000')) };
    const { frame, press } = await mount(fakeFleetOf(1), { releases: failing });
    await press('3');
    await tick(50);
    await expect.poll(frame).toContain('admin API: connect ECONNREFUSED 127.0.0.1:4000 · retrying');
    cleanup();
    const none = await mount(fakeFleetOf(1));
    await none.press('3');
    await expect.poll(none.frame).toContain('not available');
  });
});

describe('help and banner', () => {
  it('shows every key on ? and closes on any key', async () => {
    const { frame, press } = await mount(fakeFleetOf(1));
    await press('?');
    await expect.poll(frame).toContain('keys (any key closes)');
    await expect.poll(frame).toContain('add N devices');
    await press('x');
    await expect.poll(frame).toContain('DEVICE');
    await expect.poll(frame).not.toContain('stop EI-ML-0001?');
  });

  it('shows a banner while the fleet is unreachable and recovers', async () => {
    const fleet = fakeFleetOf(2);
    const { frame, store } = await mount(fleet);
    fleet.fail(true);
    await store.refresh();
    await tick();
    await expect.poll(frame).toContain('fleet unreachable: connect ECONNREFUSED fleet.sock · retry 1');
    await expect.poll(frame).toContain('EI-ML-0001'); // the last snapshot stays on screen
    fleet.fail(false);
    fleet.set('EI-ML-0002', { run: 'stopped' });
    await store.refresh();
    await expect.poll(frame).not.toContain('fleet unreachable');
    await expect.poll(frame).toMatch(/EI-ML-0002 .* stopped/);
  });
});

describe('demo narration', () => {
  it('runs one step per n with its narration line', async () => {
    const ran: string[] = [];
    const script: DemoScript = {
      intro: 'Six devices wait.',
      auto: false,
      steps: [
        { title: 'enable r1002', narration: 'the canaries update', run: async () => (ran.push('enable'), 'r1002 enabled'), done: () => true },
        { title: 'reboot one', narration: 'a device reboots', run: async () => (ran.push('reboot'), 'reboot sent'), done: () => true },
      ],
    };
    const { frame, press } = await mount(fakeFleetOf(6), { demo: script });
    await expect.poll(frame).toContain('DEMO · n: start — next: enable r1002');
    await expect.poll(frame).toContain('Six devices wait.');
    await press('n');
    await tick();
    await expect.poll(() => ran).toEqual(['enable']);
    await expect.poll(frame).toContain('DEMO 1/2 · enable r1002 · r1002 enabled · n: next');
    await expect.poll(frame).toContain('the canaries update');
    await press('n');
    await tick();
    await expect.poll(frame).toContain('DEMO 2/2 · reboot one · reboot sent · the end');
    await press('n');
    await expect.poll(() => ran).toEqual(['enable', 'reboot']);
    await expect.poll(frame).toContain('the demo is over');
    expectFits(frame(), 80, 24);
  });

  it('plays by itself with --auto: the first step once every device is online, the next once the previous is done', async () => {
    const ran: string[] = [];
    let done = false;
    const script: DemoScript = {
      intro: 'auto',
      auto: true,
      pauseMs: 200,
      steps: [
        { title: 'one', narration: 'first', run: async () => (ran.push('one'), 'one ran'), done: () => done },
        { title: 'two', narration: 'second', run: async () => (ran.push('two'), 'two ran'), done: () => true },
      ],
    };
    const fleet = fakeFleetOf(2);
    fleet.set('EI-ML-0002', { phase: 'connecting' });
    const { frame, store } = await mount(fleet, { demo: script });
    await expect.poll(frame).toContain('DEMO · starts by itself — next: one');
    await tick(500);
    expect(ran).toEqual([]); // not every device is online yet
    fleet.set('EI-ML-0002', { phase: 'online' });
    await store.refresh();
    await expect.poll(() => ran, { timeout: 4000 }).toEqual(['one']);
    await expect.poll(frame).toContain('DEMO 1/2 · one · one ran');
    await tick(500);
    await store.refresh();
    expect(ran).toEqual(['one']); // step one is not done
    done = true;
    await store.refresh();
    await expect.poll(() => ran, { timeout: 4000 }).toEqual(['one', 'two']);
    await expect.poll(frame).toContain('DEMO 2/2 · two · two ran · the end');
  });
});

// what a terminal acts on instead of showing: C0/C1 controls (ESC, BEL, CSI 0x9b), bidi overrides, zero-width space
// eslint-disable-next-line no-control-regex
const ACTED_ON = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200b\u2028\u2029]/;

describe('hostile content', () => {
  it('shows escape sequences, controls and bidi overrides as \\u text in every view, one line per row', async () => {
    const fleet = createFakeFleet([
      fakeDevice('EI\x1b[2J-1', { tags: ['a\x1b]0;pwn\x07b'], lastLog: 'log\x1b[31mred\x9b2J', version: '1.\u202e0.2' }),
      fakeDevice('EI-2\u200b', { error: 'multi\nline\rerror\ttab', tunnel: '22\x1b]8;;http://x\x07' }),
      fakeDevice('EI-3', { lastLog: `${'A'.repeat(100_000)}é`, error: `${'日'.repeat(100_000)}` }),
    ]);
    fleet.logLines.set('EI-2\u200b', ['boot\x1b[?1049l', 'x\ud800y\u2028z']);
    const releases = fakeReleases();
    releases.rows[0] = { ...(releases.rows[0] as ReleaseRow), name: 'rel\x1b]0;t\x07', phase_tags: ['t\x1b[2J'] };
    const { frame, press, store } = await mount(fleet, { releases }, { columns: 160, rows: 14 });
    fleet.emit({ at: NOW, id: 'EI-1\x1b]0;t\x07', kind: 'crashed', data: { reason: 'a\nb\x1b[2Kc' } });
    fleet.emit({ at: NOW, id: 'EI-2\u200b', kind: 'error', line: 'e\u202eabc', data: { message: 'e\u202eabc' } });
    await store.refresh();
    await tick();
    const check = (f: string) => {
      expect(f).not.toMatch(ACTED_ON);
      expectFits(f, 160, 14);
      for (const l of f.split('\n')) expect(stringWidth(l)).toBeLessThanOrEqual(160);
    };
    const table = frame();
    check(table);
    expect(table.split('\n').filter((l) => /^ {2}EI/.test(l))).toHaveLength(3);
    expect(table).toMatch(/EI\\u001b\[2… a\\u001b… inproc +online +1\.\\u202… a .* log\\u001b\[31mred\\u009b2J$/m);
    expect(table).toMatch(/EI-2\\u200b .* 22\\u001b]8;;htt… /);
    expect(table).toMatch(/EI-2\\u200b .*multi\\u000aline\\u000derror\\u0009tab/);
    expect(table).toMatch(/EI-3 .* 日日日日.*…$/m);
    await press('4');
    check(frame());
    await expect.poll(frame).toMatch(/EI-1\\u001b]… .* crashed +reason=a\\u000ab\\u001b\[2Kc/);
    await expect.poll(frame).toContain('message=e\\u202eabc');
    await press('2');
    check(frame());
    await expect.poll(frame).toMatch(/ 1\.\\u202e0… +1 +33%/);
    await press('3');
    await tick(50);
    check(frame());
    await expect.poll(frame).toMatch(/rel\\u001b]0… .* tags t\\u001b\[2J/);
    await press('1', DOWN, ENTER);
    await tick(50);
    check(frame());
    await expect.poll(frame).toContain('error: multi\\u000aline\\u000derror\\u0009tab');
    await expect.poll(frame).toContain('boot\\u001b[?1049l');
    await expect.poll(frame).toContain('x\\ud800y\\u2028z');
    await press(ESC);
    fleet.devices = async () => Promise.reject(new Error('boom\nsecond line\x1b]0;x\x07'));
    await store.refresh();
    await tick();
    check(frame());
    await expect.poll(frame).toContain(' fleet unreachable: boom\\u000asecond line\\u001b]0;x\\u0007 · retry 1');
  });

  it('a state, event kind or version named like an Object property neither ends the TUI nor garbles the counts', async () => {
    const fleet = createFakeFleet([
      fakeDevice('EI-ML-0001', { phase: 'constructor' as DeviceStatus['phase'] }),
      fakeDevice('EI-ML-0002', { version: 'constructor' }),
      fakeDevice('EI-ML-0003', { version: '__proto__', run: 'toString' as DeviceStatus['run'] }),
    ]);
    const { frame, press, store } = await mount(fleet, {}, { columns: 100, rows: 30 });
    await expect.poll(frame).toMatch(/EI-ML-0001 .* constructor/);
    fleet.emit({ at: NOW, id: 'EI-ML-0001', kind: 'hasOwnProperty' as DeviceEvent['kind'] });
    await store.refresh();
    await press('4');
    await expect.poll(frame).toMatch(/EI-ML-0001 +\d\d:\d\d:\d\d hasOwnProperty/);
    await press('2');
    await expect.poll(frame).toMatch(/ construct… +1 +33%/);
    await expect.poll(frame).toMatch(/ __proto__ +1 +33%/);
    await expect.poll(frame).toMatch(/ toString +1/);
    expect(frame()).not.toContain('function');
  });

  it('keeps the device view to one line a row on a narrow terminal', async () => {
    const fleet = fakeFleetOf(2);
    fleet.logLines.set('EI-ML-0001', ['first line', 'second line']);
    const { frame, press } = await mount(fleet, {}, { columns: 30, rows: 12 });
    await press(ENTER);
    await expect.poll(frame).toContain('second line');
    const lines = frame().split('\n');
    const tabs = lines.findIndex((l) => l.startsWith('[logs]'));
    expect(lines.slice(tabs + 1, tabs + 3)).toEqual(['first line', 'second line']);
    expectFits(frame(), 30, 12);
  });
});

describe('churn', () => {
  it('leaves the cursor where the selected device was drawn when it goes, on the device that took its place', async () => {
    const fleet = fakeFleetOf(30);
    const { frame, press, store } = await mount(fleet, {}, { columns: 80, rows: 40 });
    await press('o', 'o'); // sort by state
    await press(...Array.from({ length: 4 }, () => DOWN)); // EI-ML-0005, row 5
    // ten devices start checking and sort first: the cursor follows EI-ML-0005 down to row 15
    for (let i = 20; i < 30; i++) fleet.set(`EI-ML-${String(i).padStart(4, '0')}`, { phase: 'checking' });
    await store.refresh();
    await tick();
    fleet.state.delete('EI-ML-0005');
    await store.refresh();
    await tick();
    // more churn: the new selection is followed, not the row number
    fleet.set('EI-ML-0001', { phase: 'checking' });
    await store.refresh();
    await tick();
    await press(ENTER);
    await expect.poll(frame).toMatch(/^EI-ML-0006 +online/m);
  });

  it('drops marks of devices removed elsewhere: the count and the actions leave them out', async () => {
    const fleet = fakeFleetOf(5);
    const { frame, press, store } = await mount(fleet);
    await press(' ', ' ', ' ');
    await expect.poll(frame).toContain('3 marked');
    fleet.state.delete('EI-ML-0001');
    fleet.state.delete('EI-ML-0002');
    await store.refresh();
    await tick();
    await expect.poll(frame).toContain('3/3 · 1-3 · sort id↑ · 1 marked');
    await press('s');
    await expect.poll(() => fleet.calls).toContainEqual({ method: 'start', arg: ['EI-ML-0003'] });
  });
});

describe('keys that come together', () => {
  it('takes a held j or k, a filter typed right after / and a prompt answer typed with its Enter as the keys they are', async () => {
    const fleet = fakeFleetOf(8);
    const { frame, press } = await mount(fleet);
    // read while a frame was drawn, three presses of j are one input "jjj"
    await press('jjj');
    await press(ENTER);
    await expect.poll(frame).toMatch(/^EI-ML-0004 +online/m);
    await press(ESC, 'jjj', 'kk', ENTER);
    await expect.poll(frame).toMatch(/^EI-ML-0005 +online/m);
    await press(ESC, '/canary');
    await expect.poll(frame).toContain('filter: canary▏');
    await expect.poll(frame).toContain('filter "canary" · 2/8');
    await press(ESC, '/0003\r');
    await expect.poll(frame).toContain('filter "0003" · 1/8');
    await expect.poll(frame).not.toContain('filter: 0003▏');
    await press(ESC, 'a', '3\r');
    await expect.poll(() => fleet.calls).toContainEqual({ method: 'add', arg: 3 });
    // a pasted word is still not a string of commands
    await press('quit');
    await expect.poll(frame).not.toContain('quit and stop');
    expect(fleet.calls.filter((c) => c.method !== 'add' && c.method !== 'logs')).toEqual([]);
  });
});

describe('a very small terminal', () => {
  it('keeps the header and the status line of a demo at 20×5: a question asked there is seen', async () => {
    const script: DemoScript = { intro: 'Six devices wait.', auto: false, steps: [{ title: 'enable r1002', narration: 'the canaries update', run: async () => 'ok', done: () => true }] };
    const { frame, press } = await mount(fakeFleetOf(6), { demo: script }, { columns: 20, rows: 5 });
    await press('x');
    const lines = frame().split('\n');
    expect(lines[0]).toBe('vfleet · inproc · 6…');
    expect(lines).toContain('stop EI-ML-0001? (y…');
    expectFits(frame(), 20, 5);
    await press('y');
    await expect.poll(() => frame().split('\n')).toContain('stop: EI-ML-0001 do…');
  });
});

describe('scrolled up while lines arrive', () => {
  it('keeps a scrolled-up log view and event feed on the lines being read', async () => {
    const fleet = fakeFleetOf(2);
    fleet.logLines.set('EI-ML-0001', Array.from({ length: 30 }, (_, i) => `old line ${i}`));
    const { frame, press, store } = await mount(fleet, {}, { columns: 80, rows: 12 });
    await press(ENTER);
    await expect.poll(frame).toContain('old line 29');
    await press('k', 'k', 'k');
    await expect.poll(frame).toContain('3 lines up');
    const reading = frame().split('\n').filter((l) => l.startsWith('old line'));
    expect(reading.at(-1)).toBe('old line 26');
    for (let i = 0; i < 5; i++) fleet.emit({ at: NOW, id: 'EI-ML-0001', kind: 'log', line: `new line ${i}` });
    await store.refresh();
    await tick();
    await expect.poll(frame).toContain('8 lines up');
    expect(frame().split('\n').filter((l) => l.startsWith('old line'))).toEqual(reading);
    await press('G');
    await expect.poll(frame).toContain('new line 4');
    await press(ESC, '4');
    for (let i = 0; i < 20; i++) fleet.emit({ at: NOW, id: 'EI-ML-0002', kind: 'checking', line: `event ${i}` });
    await store.refresh();
    await press('k', 'k');
    await expect.poll(frame).toContain('2 up');
    const feed = frame().split('\n').filter((l) => l.includes('checking'));
    expect(feed.at(-1)).toMatch(/event 17$/);
    for (let i = 20; i < 24; i++) fleet.emit({ at: NOW, id: 'EI-ML-0002', kind: 'checking', line: `event ${i}` });
    await store.refresh();
    await tick();
    await expect.poll(frame).toContain('6 up');
    expect(frame().split('\n').filter((l) => l.includes('checking'))).toEqual(feed);
  });
});
