import { progressReset } from '@vfleet/core';
import type { PlanStateModule } from '../run-context.js';

/** on_error: the checkpoint is State.progress_reset; current keys stay, so the device keeps the old release. */
export const errorState: PlanStateModule = {
  enter(run) {
    run.env.log.info('[Plan Server] on_error starting');
  },
  checkpoint: (_run, kv) => progressReset(kv).kv,
  work(run) {
    run.env.log.info('[Plan Server] on_error complete');
    return Promise.resolve('ok');
  },
};
