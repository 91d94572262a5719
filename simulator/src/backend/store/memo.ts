import type { Ctx } from './context.js';

/**
 * A cache emptied whenever the store's generation moves (any catalog or device write), so reads
 * on the poll path cost a Map lookup until something changes.
 */
export function memo(ctx: Ctx) {
  let generation = -1;
  const cache = new Map<string, unknown>();
  return <T>(key: string, make: () => T): T => {
    if (generation !== ctx.generation()) {
      cache.clear();
      generation = ctx.generation();
    }
    if (!cache.has(key)) cache.set(key, make());
    return cache.get(key) as T;
  };
}
