import { runStep } from '../steps/run-step.js';
import { errorText, type PlanStateModule } from '../run-context.js';

/** Steps of one stage that run at the same time. */
export const MAX_PARALLEL_STEPS = 8;

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
    // peridiod starts every step of a stage at once; a release of thousands of binaries would then
    // open as many downloads and files together, so at most MAX_PARALLEL_STEPS run at a time
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let step = steps[next++]; step !== undefined && !failed && !signal.aborted; step = steps[next++]) {
        try {
          await runStep(step, run, signal);
        } catch (error) {
          if (failed || run.signal.aborted) return;
          failed = true;
          run.error = error;
          run.env.log.error(`[Plan Server] Error processing step ${errorText(error)}`);
          stageAbort.abort(error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(MAX_PARALLEL_STEPS, steps.length) }, worker));
    run.signal.throwIfAborted();
    if (failed) return 'fail';
    run.stage++;
    if (run.stage < run.plan.stages.length) return 'next_stage';
    run.env.log.info('[Plan Server] run complete');
    return 'ok';
  },
};
