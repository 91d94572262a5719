import { rm } from 'node:fs/promises';
import { addBinaryProgress, binRecord } from '@vfleet/core';
import { stampBinaryInstalled } from '../../cache/metadata.js';
import { storeBinary } from '../../cache/store-binary.js';
import type { InstallEnv } from '../../installers/installer.js';
import { writeStaged } from '../../installers/write-staged.js';
import type { PlanStep } from '../plan.js';
import { logStep, type PlanRun } from '../run-context.js';
import { verifiedSource } from './binary-source.js';
import { reportFailure } from './report-failure.js';

type InstallStep = Extract<PlanStep, { kind: 'install' }>;

async function install(step: InstallStep, run: PlanRun, env: InstallEnv): Promise<void> {
  const source = verifiedSource(step.binary, step.source, run, env.signal);
  if (step.job.stream !== undefined) {
    await step.job.stream(source, env);
    return;
  }
  const temp = await run.env.cache.tempPath();
  try {
    await writeStaged(source, temp, 0o600, env.signal);
    await step.job.path?.(temp, env);
  } finally {
    await rm(temp, { force: true });
  }
}

/** Step BinaryInstall / BinaryCache (protocol §5.6). */
export async function runStep(step: PlanStep, run: PlanRun, signal: AbortSignal): Promise<void> {
  const { binary } = step;
  const from = step.kind === 'cache' ? 'uri' : step.source;
  logStep(run, step.kind === 'cache' ? 'BinaryCache' : 'BinaryInstall');
  try {
    if (step.kind === 'cache') {
      await storeBinary(run.env.cache, binary, verifiedSource(binary, 'uri', run, signal), signal);
      return;
    }
    run.env.log.info(`[Installer ${binary.prn}] Starting`);
    const env: InstallEnv = { paths: run.env.paths, cache: run.env.cache, config: run.env.config, log: run.env.log, signal, toolPath: run.env.toolPath };
    await install(step, run, env);
    await stampBinaryInstalled(run.env.cache, binary);
    await run.env.kv.update((kv) => addBinaryProgress(kv, binRecord(binary.uuid, binary.customMetadata)).kv, signal);
    run.env.log.info(`[Installer ${binary.prn}] Complete`);
  } catch (error) {
    await reportFailure(error, binary, from, run, signal);
    throw error;
  }
}
