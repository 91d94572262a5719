import type { PlanStateModule } from '../run-context.js';

export const finishedState: PlanStateModule = {
  work(run) {
    run.env.log.info('[Plan Server] on_finish complete');
    run.env.log.info('[Plan Server] Plan finished');
    return Promise.resolve('ok');
  },
};
