import type { KvMap } from '@vfleet/core';
import type { KvStore } from '../types.js';

/** Serialises KV updates so parallel steps never compute from the same stale snapshot. */
export interface KvWriter {
  read(): KvMap;
  /**
   * Computes the next KV from the KV as it is when this update's turn comes and writes the keys
   * that changed in one durable putMany. Refused once `signal` is aborted (a killed agent writes nothing).
   */
  update(next: (kv: KvMap) => KvMap, signal: AbortSignal): Promise<void>;
}

export function createKvWriter(kv: KvStore): KvWriter {
  let tail: Promise<void> = Promise.resolve();
  return {
    read: () => kv.all(),
    update(next, signal) {
      const run = tail.then(async () => {
        signal.throwIfAborted();
        const before = kv.all();
        const after = next(before);
        const changes = new Map<string, string>();
        for (const [k, v] of after) if (before.get(k) !== v) changes.set(k, v);
        if (changes.size > 0) await kv.putMany(changes);
      });
      tail = run.catch(() => undefined);
      return run;
    },
  };
}
