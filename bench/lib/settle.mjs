// The memory state in which benches that write gigabytes into the page cache time each phase.
// On a VM whose balloon reports free pages to its host (this one does), writing into memory that
// has been free for a while costs about twice the CPU of writing into memory freed a moment ago:
// the host has to map the pages again (bench/rollout.mjs: the floor for 1000 x 16 MiB cost 20-23
// CPU-s right after the rollout's files were evicted, 40-46 s 60 s after they were deleted).
// So a phase and the floor it is compared with each start BENCH_SETTLE_S (default 60) seconds
// after the last large free; BENCH_SETTLE_S=0 times them without waiting. Where no balloon reports
// free pages (bare metal, most VMs) the default is 0: the state makes no difference there.
import { setTimeout as sleep } from 'node:timers/promises';
import { freePageReporting } from '@vfleet/simulator';

export const settleSeconds = Number(process.env.BENCH_SETTLE_S ?? (freePageReporting() ? 60 : 0));

/** A clock of the last large free (its start counts as one: memory freed before this process). */
export function settleClock() {
  let freedAt = performance.now();
  return {
    /** Call after deleting what a phase wrote. */
    freed() {
      freedAt = performance.now();
    },
    /** Waits until BENCH_SETTLE_S have passed since the last free. */
    async wait() {
      const ms = freedAt + settleSeconds * 1000 - performance.now();
      if (ms > 0) await sleep(ms);
    },
  };
}
