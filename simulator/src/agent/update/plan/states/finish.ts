import { advance } from '@vfleet/core';
import { stampInstalled } from '../../cache/metadata.js';
import { pruneCache } from '../../cache/prune.js';
import { errorText, logStep, type PlanStateModule } from '../run-context.js';

/**
 * on_finish: the checkpoint is State.advance (current ← progress, previous ← current) in one env
 * write, the instant the device switches from reporting the old release to the new one.
 */
export const finishState: PlanStateModule = {
  enter(run) {
    run.env.log.info('[Plan Server] on_finish starting');
    logStep(run, 'SystemState');
  },
  checkpoint: (_run, kv) => advance(kv).kv,
  async work(run) {
    logStep(run, 'Cache');
    await stampInstalled(run.env.cache, run.plan.offer);
    const kv = run.env.kv.read();
    const get = (k: string): string => kv.get(k) ?? '';
    run.env.log.info('[State] Cache cleanup started');
    try {
      await pruneCache(run.env.cache, {
        vias: [get('peridio_via_current'), get('peridio_via_previous')],
        bundles: [get('peridio_bun_current'), get('peridio_bun_previous')],
      });
    } catch (error) {
      run.env.log.error(`[State] Cache cleanup error ${errorText(error)}`);
    }
    run.env.log.info('[State] Cache cleanup finished');
    return run.plan.reboot ? 'reboot' : 'ok';
  },
};
