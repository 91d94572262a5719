import type { KvStore } from '../../types.js';

/** A KvStore over a Map shared like a disk; `kill()` makes this instance refuse writes, as a dead process would. */
export interface TestKv extends KvStore {
  readonly data: Map<string, string>;
  kill(): void;
  readonly writes: number;
}

export function createMemoryKv(data: Map<string, string> = new Map()): TestKv {
  let killed = false;
  let writes = 0;
  return {
    data,
    persistent: true,
    get: (k) => data.get(k),
    all: () => new Map(data),
    putMany(changes) {
      if (killed) return Promise.reject(new Error('killed: write refused'));
      for (const [k, v] of changes) data.set(k, v);
      writes++;
      return Promise.resolve();
    },
    kill() {
      killed = true;
    },
    get writes() {
      return writes;
    },
  };
}
