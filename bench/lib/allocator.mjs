// Benches run on the allocator the `vfleet` launcher gives the product (mimalloc when installed; see
// apps/cli/bin/vfleet): called first, this re-runs the bench under it and exits with its code.
// VFLEET_MALLOC=system measures glibc's malloc instead. Returns the allocator this process runs with.
import { spawnSync } from 'node:child_process';
import { launcherAllocatorEnv, processAllocator } from '@vfleet/simulator';

export function useLauncherAllocator() {
  const env = launcherAllocatorEnv();
  if (env !== undefined && processAllocator() === 'glibc') {
    const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env });
    process.exit(r.status ?? 1);
  }
  return processAllocator();
}
