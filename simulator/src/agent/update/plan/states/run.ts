import { runStep } from '../steps/run-step.js';
import { errorText, type PlanStateModule } from '../run-context.js';

/** run: one stage per visit, its steps in parallel; the first failure stops the others. */
export const runState: PlanStateModule = {
  enter(run) {
    if (run.stage === 0 && run.plan.stages.length > 0) run.env.log.info('[Plan Server] run starting');
  },
  async work(run) {
    const steps = run.plan.stages[run.stage];
    if (steps === undefined) return 'ok';
    const stageAbort = new AbortController();
    const signal = AbortSignal.any([run.signal, stageAbort.signal]);
    let failed = false;
    await Promise.all(steps.map(async (step) => {
      try {
        await runStep(step, run, signal);
      } catch (error) {
        if (failed || run.signal.aborted) return;
        failed = true;
        run.error = error;
        run.env.log.error(`[Plan Server] Error processing step ${errorText(error)}`);
        stageAbort.abort(error);
      }
    }));
    run.signal.throwIfAborted();
    if (failed) return 'fail';
    run.stage++;
    if (run.stage < run.plan.stages.length) return 'next_stage';
    run.env.log.info('[Plan Server] run complete');
    return 'ok';
  },
};
