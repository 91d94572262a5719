import { isBinaryCached } from '../cache/metadata.js';
import { resolveInstaller, type InstallerFactories } from '../installers/resolve-installer.js';
import type { InstallJob } from '../installers/installer.js';
import type { UpdateBinary, UpdateOffer } from '../model.js';
import { isObject } from '../validate/fields.js';
import type { PipelineEnv, Plan, PlanStep } from './plan.js';

type InstallStep = Extract<PlanStep, { kind: 'install' }>;

/** Parallel installers share a stage; a sequential installer already in the stage starts a new one. */
function chunkStages(steps: InstallStep[]): InstallStep[][] {
  const stages: InstallStep[][] = [];
  let current: InstallStep[] = [];
  for (const step of steps) {
    if (step.job.model === 'sequential' && current.some((s) => s.job.installer === step.job.installer)) {
      stages.push(current);
      current = [];
    }
    current.push(step);
  }
  if (current.length > 0) stages.push(current);
  return stages;
}

const needsReboot = (b: UpdateBinary): boolean => {
  const peridiod = b.customMetadata['peridiod'];
  return isObject(peridiod) && peridiod['reboot_required'] === true;
};

/**
 * Plan.resolve_install_bundle (protocol §5.6): picks each binary's source (cache, a cache step for
 * path-only installers, or the URL) and stages. Installer options are validated here, before
 * anything is written; a refusal logs `[Installer <prn>] Error ...` and returns undefined.
 */
export async function buildPlan(
  offer: UpdateOffer,
  selection: { installed: UpdateBinary[]; toInstall: UpdateBinary[] },
  env: PipelineEnv,
  factories: InstallerFactories,
): Promise<Plan | undefined> {
  const jobs = new Map<UpdateBinary, InstallJob>();
  for (const binary of selection.toInstall) {
    try {
      jobs.set(binary, resolveInstaller(binary, env.config, factories));
    } catch (error) {
      env.log.error(`[Installer ${binary.prn}] Error ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }
  const cacheSteps: PlanStep[] = [];
  const installSteps: InstallStep[] = [];
  for (const [binary, job] of jobs) {
    let source: InstallStep['source'] = 'cache';
    if (await isBinaryCached(env.cache, binary)) {
      env.log.info('[Plan] Binary already cached');
    } else if (job.stream === undefined) {
      env.log.info('[Plan] Binary not cached, adding cache step');
      cacheSteps.push({ kind: 'cache', binary });
    } else {
      env.log.info('[Plan] Binary download from uri');
      source = 'uri';
    }
    installSteps.push({ kind: 'install', binary, job, source });
  }
  const stages = [...(cacheSteps.length > 0 ? [cacheSteps] : []), ...chunkStages(installSteps)];
  return { offer, installed: selection.installed, toInstall: selection.toInstall, stages, reboot: selection.toInstall.some(needsReboot) };
}
