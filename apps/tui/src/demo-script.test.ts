import { describe, expect, it } from 'vitest';
import { evkDemoScript } from './demo-script.js';
import { summarize } from './store/summary.js';
import type { FleetSnapshot } from './store/fleet-store.js';
import type { ReleaseRow, ReleasesApi } from './releases-api.js';
import { fakeFleetOf } from './test-support/fake-fleet.js';
import type { DeviceStatus } from '@vfleet/simulator';

const snap = (devices: DeviceStatus[]): FleetSnapshot => ({ devices, summary: summarize(devices), history: [{ at: 0, total: devices.length, versions: {} }], events: [], appended: 0, loaded: true, refreshedAt: 0, generation: 1 });

function releases(): ReleasesApi & { calls: unknown[][] } {
  const row: ReleaseRow = { uuid: 'r2', name: 'release-r1002', cohort_uuid: 'c', version: '2.0.0', version_requirement: '~> 1.1', disabled: true, phase_value: null, phase_tags: ['canary'] };
  const calls: unknown[][] = [];
  return {
    calls,
    list: async () => [row],
    setDisabled: async (...a) => void calls.push(['setDisabled', ...a]),
    setPhaseValue: async (...a) => void calls.push(['setPhaseValue', ...a]),
    setPhaseTags: async (...a) => void calls.push(['setPhaseTags', ...a]),
    artifacts: async () => [],
    createFromArtifact: async () => row,
    binaryUuids: async () => [],
  };
}

describe('the EVK demo script', () => {
  it('enables the release, phases it to 50%, reboots one device and opens a tunnel, each step done when the fleet shows it', async () => {
    const fleet = fakeFleetOf(6);
    const api = releases();
    const opened: Array<[string, number]> = [];
    const script = evkDemoScript({
      fleet, releases: api, releaseName: 'release-r1002', targetVersion: '2.0.0', rebootId: 'EI-ML-0003',
      tunnel: async (id, port) => (opened.push([id, port]), `tunnel to ${id}:${port} open`),
    });
    const [enable, phase, reboot, tunnel] = script.steps;
    if (!enable || !phase || !reboot || !tunnel) throw new Error('four steps expected');
    expect(script.steps.map((s) => s.title)).toEqual(['enable release-r1002', 'phase to 50%', 'reboot EI-ML-0003', 'open a tunnel']);

    expect(await enable.run()).toBe('release-r1002 enabled');
    expect(api.calls).toEqual([['setDisabled', 'r2', false]]);
    expect(enable.done(snap(await fleet.devices()))).toBe(false);
    fleet.set('EI-ML-0001', { version: '2.0.0' });
    fleet.set('EI-ML-0002', { version: '2.0.0', phase: 'installing' });
    expect(enable.done(snap(await fleet.devices()))).toBe(false);
    fleet.set('EI-ML-0002', { phase: 'online' });
    expect(enable.done(snap(await fleet.devices()))).toBe(true);

    expect(await phase.run()).toBe('release-r1002 phased to 50%');
    expect(api.calls.at(-1)).toEqual(['setPhaseValue', 'r2', 0.5]);
    fleet.set('EI-ML-0004', { phase: 'downloading' });
    expect(phase.done(snap(await fleet.devices()))).toBe(false);
    fleet.set('EI-ML-0004', { phase: 'online', version: '2.0.0' });
    expect(phase.done(snap(await fleet.devices()))).toBe(true);

    expect(await reboot.run()).toBe('reboot sent to EI-ML-0003');
    expect(fleet.calls).toContainEqual({ method: 'reboot', arg: ['EI-ML-0003'] });
    expect(reboot.done(snap(await fleet.devices()))).toBe(false);
    fleet.set('EI-ML-0003', { boots: 2, phase: 'connecting' });
    expect(reboot.done(snap(await fleet.devices()))).toBe(false);
    fleet.set('EI-ML-0003', { phase: 'online' });
    expect(reboot.done(snap(await fleet.devices()))).toBe(true);

    expect(await tunnel.run()).toBe('tunnel to EI-ML-0003:22 open');
    expect(opened).toEqual([['EI-ML-0003', 22]]);
  });

  it('says so when tunnels are not available, and fails a step whose release is missing', async () => {
    const api = { ...releases(), list: async () => [] };
    const script = evkDemoScript({ fleet: fakeFleetOf(1), releases: api, releaseName: 'release-r1002', targetVersion: '2.0.0', rebootId: 'EI-ML-0001' });
    expect(script.steps[3]?.narration).toMatch(/not available/);
    expect(await script.steps[3]?.run()).toBe('tunnels: not available');
    await expect(script.steps[0]?.run()).rejects.toThrow('release release-r1002 is not in the backend');
  });
});
