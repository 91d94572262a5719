import { describe, expect, it } from 'vitest';
import { STATES } from './states/index.js';
import { isTerminal, nextState, TRANSITIONS, type PlanState } from './transitions.js';

describe('plan transition table', () => {
  const states = Object.keys(TRANSITIONS) as PlanState[];

  it('has a module for every state and only finished/failed are terminal', () => {
    expect(Object.keys(STATES).sort()).toEqual([...states].sort());
    expect(states.filter(isTerminal).sort()).toEqual(['failed', 'finished']);
  });

  it('every working state fails into on_error, and on_error always ends in failed', () => {
    for (const s of ['init', 'run', 'finish', 'reboot'] as const) expect(nextState(s, 'fail')).toBe('error');
    expect([nextState('error', 'ok'), nextState('error', 'fail')]).toEqual(['failed', 'failed']);
  });

  it('the happy path is init → run (per stage) → finish → [reboot] → finished', () => {
    expect([nextState('init', 'ok'), nextState('run', 'next_stage'), nextState('run', 'ok'), nextState('finish', 'reboot'), nextState('reboot', 'ok'), nextState('finish', 'ok')])
      .toEqual(['run', 'run', 'finish', 'reboot', 'finished', 'finished']);
  });

  it('refuses an event a state does not take', () => {
    expect(() => nextState('init', 'reboot')).toThrow('plan: no transition from init on reboot');
    expect(() => nextState('finished', 'ok')).toThrow('plan: no transition from finished on ok');
  });

  it('only the states with a checkpoint write the KV: init (progress), finish (advance), error (progress_reset)', () => {
    expect(states.filter((s) => STATES[s].checkpoint !== undefined).sort()).toEqual(['error', 'finish', 'init']);
  });
});
