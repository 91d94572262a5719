import { afterEach, describe, expect, it, vi } from 'vitest';
import { sleep } from './sleep.js';

const DAY = 24 * 3600 * 1000;

describe('sleep', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits the full time and resolves true', async () => {
    vi.useFakeTimers();
    let result: boolean | undefined;
    void sleep(1000).then((r) => (result = r));
    await vi.advanceTimersByTimeAsync(999);
    expect(result).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(result).toBe(true);
  });

  it('waits a delay beyond the 2^31-1 ms timer limit in full (a ramp of 1e-10/s is slow, not instant)', async () => {
    vi.useFakeTimers();
    let result: boolean | undefined;
    void sleep(60 * DAY).then((r) => (result = r));
    await vi.advanceTimersByTimeAsync(10);
    expect(result).toBeUndefined();
    await vi.advanceTimersByTimeAsync(59 * DAY);
    expect(result).toBeUndefined();
    await vi.advanceTimersByTimeAsync(DAY);
    expect(result).toBe(true);
  });

  it('does not fire early on real timers either (no TimeoutOverflowWarning clamp to 1 ms)', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const controller = new AbortController();
    try {
      const slept = sleep(1e13, controller.signal);
      const first = await Promise.race([slept.then((full) => `slept ${full}`), sleep(100).then(() => 'still waiting')]);
      expect(first).toBe('still waiting');
      controller.abort();
      expect(await slept).toBe(false);
      // warnings are emitted on the next tick
      await sleep(10);
      expect(warnings.map((w) => w.name)).not.toContain('TimeoutOverflowWarning');
    } finally {
      process.off('warning', onWarning);
      controller.abort();
    }
  });

  it('a long sleep stays abortable in any chunk, and resolves false', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    let result: boolean | undefined;
    void sleep(30 * DAY, controller.signal).then((r) => (result = r));
    await vi.advanceTimersByTimeAsync(26 * DAY);
    expect(result).toBeUndefined();
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(result).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('Infinity waits for the signal; NaN and negative delays do not wait', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    let result: boolean | undefined;
    void sleep(Infinity, controller.signal).then((r) => (result = r));
    await vi.advanceTimersByTimeAsync(365 * DAY);
    expect(result).toBeUndefined();
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(result).toBe(false);
    vi.useRealTimers();
    const quick = await Promise.all([sleep(Number.NaN), sleep(-5), sleep(0)]);
    expect(quick).toEqual([true, true, true]);
  });

  it('resolves false at once when already aborted', async () => {
    expect(await sleep(1000, AbortSignal.abort())).toBe(false);
  });
});
