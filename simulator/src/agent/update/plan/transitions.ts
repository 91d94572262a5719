/** The plan's states (Plan Server phases of protocol §5.1 step 7, reboot split out of on_finish). */
export type PlanState = 'init' | 'run' | 'finish' | 'reboot' | 'finished' | 'error' | 'failed';
export type PlanEvent = 'ok' | 'next_stage' | 'reboot' | 'fail';

/** state × event → state; terminal states have no way out. */
export const TRANSITIONS: Readonly<Record<PlanState, Readonly<Partial<Record<PlanEvent, PlanState>>>>> = {
  init: { ok: 'run', fail: 'error' },
  run: { next_stage: 'run', ok: 'finish', fail: 'error' },
  finish: { ok: 'finished', reboot: 'reboot', fail: 'error' },
  reboot: { ok: 'finished', fail: 'error' },
  error: { ok: 'failed', fail: 'failed' },
  finished: {},
  failed: {},
};

export const isTerminal = (state: PlanState): boolean => Object.keys(TRANSITIONS[state]).length === 0;

export function nextState(state: PlanState, event: PlanEvent): PlanState {
  const next = TRANSITIONS[state][event];
  if (next === undefined) throw new Error(`plan: no transition from ${state} on ${event}`);
  return next;
}
