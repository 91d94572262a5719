import { readlink } from 'node:fs/promises';
import { basename } from 'node:path';
import type { CacheStore } from './cache-store.js';

/** What the cache keeps after an advance: the current and previous via and bundle PRNs. */
export interface PruneKeep {
  vias: readonly string[];
  bundles: readonly string[];
}

async function keptBinaries(cache: CacheStore, bundles: readonly string[]): Promise<Set<string>> {
  const kept = new Set<string>();
  for (const bundle of bundles) {
    for (const name of await cache.list(`bundle/${bundle}/binaries`)) {
      const target = await readlink(cache.path(`bundle/${bundle}/binaries/${name}`)).catch(() => undefined);
      if (target !== undefined) kept.add(basename(target));
    }
  }
  return kept;
}

/** Removes every release, override, bundle and binary the device neither runs nor ran before (protocol §5.8). */
export async function pruneCache(cache: CacheStore, keep: PruneKeep): Promise<string[]> {
  const bundles = keep.bundles.filter((b) => b !== '');
  const binaries = await keptBinaries(cache, bundles);
  const removed: string[] = [];
  const sweep = async (dir: string, kept: (name: string) => boolean): Promise<void> => {
    for (const name of await cache.list(dir)) {
      if (kept(name)) continue;
      await cache.remove(`${dir}/${name}`);
      removed.push(`${dir}/${name}`);
    }
  };
  await sweep('release', (n) => keep.vias.includes(n));
  await sweep('override', (n) => keep.vias.includes(n));
  await sweep('bundle', (n) => bundles.includes(n));
  await sweep('binary', (n) => binaries.has(n));
  return removed;
}
