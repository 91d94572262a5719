import { STATES } from './states/index.js';
import { errorText, type PlanRun } from './run-context.js';
import { isTerminal, nextState, type PlanEvent, type PlanState } from './transitions.js';
import type { PipelineEnv, Plan } from './plan.js';

export type PlanOutcome = 'finished' | 'failed' | 'aborted';

/**
 * Drives a plan through the transition table. For each state: entry log, then the checkpoint
 * (written to the KV before any of the state's work), then the work, whose event picks the next
 * state. An aborted signal stops it where it stands, as a kill would; the next start cleans up.
 */
export async function runPlan(plan: Plan, env: PipelineEnv, signal: AbortSignal): Promise<PlanOutcome> {
  const run: PlanRun = { plan, env, signal, stage: 0, error: undefined };
  env.log.info('[Plan Server] Plan execution starting');
  let state: PlanState = 'init';
  for (;;) {
    if (signal.aborted) return 'aborted';
    const module = STATES[state];
    let event: PlanEvent;
    try {
      module.enter?.(run);
      const checkpoint = module.checkpoint;
      if (checkpoint !== undefined) await env.kv.update((kv) => checkpoint(run, kv), signal);
      event = await module.work(run);
    } catch (error) {
      if (signal.aborted) return 'aborted';
      // the run state reports its steps' failures itself
      if (state !== 'run') env.log.error(`[Plan Server] Error processing step ${errorText(error)}`);
      run.error ??= error;
      event = 'fail';
    }
    if (isTerminal(state)) return state === 'finished' ? 'finished' : 'failed';
    state = nextState(state, event);
  }
}
