import { addBinaryProgress, binRecord, progress, type KvMap } from '@vfleet/core';
import { saveBundleMetadata, saveViaMetadata } from '../../cache/metadata.js';
import { logStep, type PlanStateModule } from '../run-context.js';

/**
 * on_init: the checkpoint records the install in progress (State.progress) with the binaries that
 * stay installed; peridiod's progress keeps an old bin_progress, we clear it so a record left by a
 * killed earlier plan can never leak into the new release's bin_current.
 */
export const initState: PlanStateModule = {
  enter(run) {
    run.env.log.info('[Plan Server] on_init starting');
    logStep(run, 'SystemState');
    for (let i = 0; i < run.plan.installed.length; i++) logStep(run, 'BinaryState');
  },
  checkpoint(run, kv) {
    const { via, bundlePrn } = run.plan.offer;
    let next: KvMap = progress(kv, {
      viaPrn: via.prn, bundlePrn, version: via.kind === 'release' ? via.version : null,
    }).kv;
    next = new Map(next).set('peridio_bin_progress', '');
    for (const b of run.plan.installed) next = addBinaryProgress(next, binRecord(b.uuid, b.customMetadata)).kv;
    return next;
  },
  async work(run) {
    logStep(run, 'Cache');
    await saveBundleMetadata(run.env.cache, run.plan.offer);
    logStep(run, 'Cache');
    await saveViaMetadata(run.env.cache, run.plan.offer);
    run.env.log.info('[Plan Server] on_init complete');
    return 'ok';
  },
};
