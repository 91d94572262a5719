import { execa } from 'execa';
import { VfleetError } from '@vfleet/core';
import type { AdminClient } from '../backend/admin-client.js';
import type { RolloutAction, ScenarioRelease } from './scenario.js';

/** Carries out a rollout step on whatever backend the run targets. */
export type ReleaseActions = (action: RolloutAction, signal: AbortSignal) => Promise<string>;

export function describeAction(a: RolloutAction): string {
  const phase = 'phase' in a && a.phase !== undefined ? ('tags' in a.phase ? ` for tags ${a.phase.tags.join(',')}` : ` at ${a.phase.text}`) : '';
  return `${a.action}${phase}`;
}

/** The body of the admin API PATCH for one step (phase tags and values replace each other). */
export function releasePatch(a: RolloutAction): Record<string, unknown> {
  const phase = 'phase' in a && a.phase !== undefined ? ('tags' in a.phase ? { phase_tags: a.phase.tags } : { phase_value: a.phase.value }) : {};
  if (a.action === 'disable') return { disabled: true };
  if (a.action === 'enable') return { disabled: false, ...phase };
  return phase;
}

/** Embedded backend: PATCH the release through the admin API. */
export function adminActions(client: AdminClient, releaseUuid: string, releaseName: string): ReleaseActions {
  return async (a) => {
    await client.call('PATCH', `/api/v1/releases/${releaseUuid}`, releasePatch(a));
    return `${releaseName}: ${describeAction(a)}`;
  };
}

/**
 * A real backend: the scenario's hook command does the step (through Peridio's CLI or API),
 * told what to do in VFLEET_* variables. Without a hook the step is printed for the user to do.
 */
export function hookActions(hook: string | undefined, release: ScenarioRelease, say: (line: string) => void, cwd: string): ReleaseActions {
  return async (a, signal) => {
    const env: Record<string, string> = {
      VFLEET_ACTION: a.action,
      VFLEET_RELEASE: release.name,
      VFLEET_VERSION: release.version,
    };
    if ('phase' in a && a.phase !== undefined) {
      if ('tags' in a.phase) env['VFLEET_PHASE_TAGS'] = a.phase.tags.join(',');
      else env['VFLEET_PHASE_VALUE'] = String(a.phase.value);
    }
    if (hook === undefined) {
      say(`release action for you: ${release.name} ${describeAction(a)} (no target.hook; timing starts now)`);
      return `${release.name}: ${describeAction(a)} (manual)`;
    }
    const r = await execa(hook, {
      shell: true,
      cwd,
      env,
      reject: false,
      cancelSignal: signal,
      timeout: 120_000,
      forceKillAfterDelay: 5000,
      cleanup: true,
      all: true,
      stdin: 'ignore',
    });
    if (r.exitCode !== 0 || r.failed) {
      const out = String(r.all ?? '').trim().split('\n').slice(-1)[0] ?? '';
      throw new VfleetError('VFLEET_IO', `hook ${JSON.stringify(hook)} (${a.action}) ${r.timedOut ? 'timed out' : `exited ${r.exitCode ?? r.signal}`}${out ? `: ${out}` : ''}`);
    }
    return `${release.name}: ${describeAction(a)} (hook)`;
  };
}
