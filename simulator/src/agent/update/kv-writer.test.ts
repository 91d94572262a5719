import { describe, expect, it } from 'vitest';
import { addBinaryProgress } from '@vfleet/core';
import { createKvWriter } from './kv-writer.js';
import { createMemoryKv } from './test-support/memory-kv.js';

describe('createKvWriter', () => {
  it('serialises parallel updates so no record is lost, and writes only changed keys', async () => {
    const kv = createMemoryKv(new Map([['other', 'x']]));
    const writer = createKvWriter(kv);
    const signal = new AbortController().signal;
    const ids = ['a', 'b', 'c'].map((c) => c.repeat(32) + '0'.repeat(64));
    await Promise.all(ids.map((id) => writer.update((m) => addBinaryProgress(m, id).kv, signal)));
    expect(kv.get('peridio_bin_progress')).toBe(ids.join(''));
    expect(kv.writes).toBe(3);
    await writer.update((m) => m, signal);
    expect(kv.writes).toBe(3);
  });

  it('refuses to write once the signal is aborted, and a failed write does not block the next', async () => {
    const kv = createMemoryKv();
    const writer = createKvWriter(kv);
    const dead = new AbortController();
    dead.abort(new Error('killed'));
    await expect(writer.update((m) => new Map(m).set('k', 'v'), dead.signal)).rejects.toThrow('killed');
    await writer.update((m) => new Map(m).set('k', 'w'), new AbortController().signal);
    expect(kv.get('k')).toBe('w');
  });
});
