// Which malloc a vfleet process runs with. The `vfleet` launcher (apps/cli/bin/vfleet) preloads mimalloc
// when it is installed; benches start themselves the same way so their figures are the product's.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

export type Allocator = 'mimalloc' | 'jemalloc' | 'tcmalloc' | 'glibc';

/** The places the launcher looks, in its order: Debian's multiarch directories first. */
export function mimallocCandidates(): string[] {
  let multiarch: string[] = [];
  try {
    multiarch = readdirSync('/usr/lib').filter((d) => d.endsWith('-linux-gnu')).sort().map((d) => join('/usr/lib', d, 'libmimalloc.so.2'));
  } catch {
    // no /usr/lib: only the fixed places below
  }
  return [...multiarch, '/usr/lib64/libmimalloc.so.2', '/usr/lib/libmimalloc.so.2', '/usr/local/lib/libmimalloc.so.2'];
}

/** The mimalloc shared library the launcher would preload, if one is installed. */
export const findMimalloc = (): string | undefined => mimallocCandidates().find((p) => existsSync(p));

/** The allocator a running process has mapped (`self` by default), from its memory map. */
export function processAllocator(pid: number | 'self' = 'self'): Allocator {
  const maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
  if (maps.includes('libmimalloc')) return 'mimalloc';
  if (maps.includes('libjemalloc')) return 'jemalloc';
  if (maps.includes('libtcmalloc')) return 'tcmalloc';
  return 'glibc';
}

/**
 * The environment that starts a node process on the launcher's allocator: LD_PRELOAD with mimalloc
 * first, unless VFLEET_MALLOC=system, mimalloc is missing, or it is already preloaded. Undefined: no change.
 */
export function launcherAllocatorEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv | undefined {
  if ((env.VFLEET_MALLOC ?? 'mimalloc') !== 'mimalloc') return undefined;
  if ((env.LD_PRELOAD ?? '').includes('libmimalloc')) return undefined;
  const lib = findMimalloc();
  if (lib === undefined) return undefined;
  return { ...env, LD_PRELOAD: env.LD_PRELOAD ? `${lib}:${env.LD_PRELOAD}` : lib };
}

/** The thread-pool size the launcher gives node when UV_THREADPOOL_SIZE is unset: the cores, from 2 to 4. */
export function launcherThreadpoolSize(cores = availableParallelism()): number {
  return Math.min(4, Math.max(2, cores));
}
