import { describe, expect, it } from 'vitest';
import type { DeviceEvent } from '../types.js';
import { reduceDevice, type Tracked } from './device-state.js';

const tracked = (): Tracked => ({ status: { id: 'EI-ML-0001', runtime: 'inproc', run: 'running', phase: 'online', boots: 1, crashes: 0 }, joined: true });
const event = (kind: DeviceEvent['kind'], data?: DeviceEvent['data']): DeviceEvent => ({ at: 1, id: 'EI-ML-0001', kind, ...(data ? { data } : {}) });

describe('reduceDevice', () => {
  it('shows a device waiting for a download slot as queued until its download starts, and a poll meanwhile changes nothing', () => {
    const t = tracked();
    const phases: string[] = [];
    for (const e of [
      event('update-available'),
      event('queued', { limit: 249, waiting: 3 }),
      event('checking'),
      event('downloading', { mode: 'INIT', attempt: 0 }),
      event('downloading', { percent: 40 }),
      event('installed'),
    ]) {
      reduceDevice(t, e);
      phases.push(t.status.phase + (t.status.progress === undefined ? '' : ` ${t.status.progress}`));
    }
    expect(phases).toEqual(['downloading', 'queued', 'queued', 'downloading', 'downloading 40', 'online']);
  });
});
