// Benches run as the `vfleet` launcher runs the product (apps/cli/bin/vfleet): on its allocator
// (mimalloc when installed) and with its libuv thread-pool size. Called first, this re-runs the bench
// that way and exits with its code. VFLEET_MALLOC=system measures glibc's malloc instead; a set
// UV_THREADPOOL_SIZE is kept. Returns the allocator this process runs with.
import { spawnSync } from 'node:child_process';
import { launcherAllocatorEnv, launcherThreadpoolSize, processAllocator } from '@vfleet/simulator';

export function useLauncherAllocator() {
  const allocatorEnv = processAllocator() === 'glibc' ? launcherAllocatorEnv() : undefined;
  const threads = process.env.UV_THREADPOOL_SIZE === undefined ? { UV_THREADPOOL_SIZE: String(launcherThreadpoolSize()) } : undefined;
  if (allocatorEnv !== undefined || threads !== undefined) {
    const env = { ...(allocatorEnv ?? process.env), ...threads };
    const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env });
    process.exit(r.status ?? 1);
  }
  return processAllocator();
}
