import { describe, expect, it } from 'vitest';
import { createDownloadSlots } from './download-slots.js';

const never = new AbortController().signal;
const settled = async (p: Promise<unknown>): Promise<boolean> => {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
};

describe('createDownloadSlots', () => {
  it('lets `limit` downloads run at once and hands a freed slot to the longest waiter', async () => {
    const slots = createDownloadSlots(2);
    const a = await slots.take(never);
    const b = await slots.take(never);
    const order: string[] = [];
    const c = slots.take(never).then((give) => (order.push('c'), give));
    const d = slots.take(never).then((give) => (order.push('d'), give));
    expect([slots.inUse, slots.waiting, await settled(c)]).toEqual([2, 2, false]);
    b();
    b(); // a second call gives nothing more back
    const giveC = await c;
    expect([order, slots.inUse, slots.waiting, await settled(d)]).toEqual([['c'], 2, 1, false]);
    // a newcomer queues behind d even though a slot frees at once
    a();
    const e = slots.take(never);
    expect([await settled(d), await settled(e)]).toEqual([true, false]);
    giveC();
    (await d)();
    (await e)();
    expect([slots.inUse, slots.waiting]).toEqual([0, 0]);
  });

  it('an aborted wait rejects with the reason and leaves the queue; the slot goes to the next', async () => {
    const slots = createDownloadSlots(1);
    const first = await slots.take(never);
    const stop = new AbortController();
    const aborted = slots.take(stop.signal);
    const next = slots.take(never);
    stop.abort(new Error('device stopped'));
    await expect(aborted).rejects.toThrow('device stopped');
    expect(slots.waiting).toBe(1);
    first();
    (await next)();
    expect([slots.inUse, slots.waiting]).toEqual([0, 0]);
    await expect(slots.take(stop.signal)).rejects.toThrow('device stopped');
    expect(slots.inUse).toBe(0);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses a limit of %s', (limit) => {
    expect(() => createDownloadSlots(limit)).toThrow(/download slots: the limit must be a whole number of at least 1/);
  });
});
