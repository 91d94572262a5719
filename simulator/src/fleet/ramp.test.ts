import { describe, expect, it } from 'vitest';
import { createRamp } from './ramp.js';
import { until } from '../test-support/device.js';

describe('createRamp', () => {
  it('starts at most `rate` devices per second, in order', async () => {
    const started: Array<[string, number]> = [];
    const t0 = performance.now();
    const ramp = createRamp({ rate: 20, start: (id) => started.push([id, performance.now() - t0]) });
    ramp.push(['a', 'b', 'c', 'd', 'e']);
    await ramp.drained();
    expect(started.map(([id]) => id)).toEqual(['a', 'b', 'c', 'd', 'e']);
    // token n is due at n/rate seconds
    started.forEach(([, at], n) => expect(at).toBeGreaterThanOrEqual(n * 50 - 5));
    expect(started[4]?.[1]).toBeLessThan(1000);
    ramp.close();
  });

  it('holds the onboarding cap until devices settle; removed ids never start', async () => {
    const started: string[] = [];
    const ramp = createRamp({ concurrency: 2, start: (id) => started.push(id) });
    ramp.push(['a', 'b', 'c', 'd', 'e']);
    await until(() => started.length === 2);
    await new Promise((r) => setTimeout(r, 50));
    expect(started).toEqual(['a', 'b']);
    ramp.remove(['c']);
    ramp.settled('a');
    await until(() => started.length === 3);
    expect(started).toEqual(['a', 'b', 'd']);
    ramp.settled('b');
    ramp.settled('d');
    await ramp.drained();
    expect(started).toEqual(['a', 'b', 'd', 'e']);
    ramp.close();
  });

  it('frees a place after the onboarding timeout; jitter delays starts', async () => {
    const started: string[] = [];
    const ramp = createRamp({ concurrency: 1, onboardingTimeoutMs: 60, jitterMs: 30, start: (id) => started.push(id) });
    ramp.push(['a', 'b']);
    await until(() => started.length === 2, 2000, 5);
    expect(started).toEqual(['a', 'b']);
    ramp.close();
  });
});
