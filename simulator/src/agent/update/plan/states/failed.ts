import type { PlanStateModule } from '../run-context.js';

export const failedState: PlanStateModule = {
  work(run) {
    run.env.log.error('[Plan Server] Plan finished with errors');
    return Promise.resolve('ok');
  },
};
