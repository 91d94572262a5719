import type { PlanStateModule } from '../run-context.js';
import type { PlanState } from '../transitions.js';
import { errorState } from './error.js';
import { finishState } from './finish.js';
import { failedState } from './failed.js';
import { finishedState } from './finished.js';
import { initState } from './init.js';
import { rebootState } from './reboot.js';
import { runState } from './run.js';

export const STATES: Readonly<Record<PlanState, PlanStateModule>> = {
  init: initState,
  run: runState,
  finish: finishState,
  reboot: rebootState,
  error: errorState,
  finished: finishedState,
  failed: failedState,
};
