import type { KvMap } from '@vfleet/core';
import type { PipelineEnv, Plan } from './plan.js';
import type { PlanEvent } from './transitions.js';

/** One execution of a plan. */
export interface PlanRun {
  readonly plan: Plan;
  readonly env: PipelineEnv;
  /** Aborted = the agent was stopped or killed: nothing more is written. */
  readonly signal: AbortSignal;
  stage: number;
  error: unknown;
}

/** One state's module: optional entry log, the checkpoint written before its work, then the work. */
export interface PlanStateModule {
  enter?(run: PlanRun): void;
  /** The KV after the checkpoint, computed from the KV as it is; the driver writes the difference. */
  checkpoint?(run: PlanRun, kv: KvMap): KvMap;
  work(run: PlanRun): Promise<PlanEvent>;
}

export type StepName = 'Cache' | 'SystemState' | 'BinaryState' | 'BinaryCache' | 'BinaryInstall' | 'SystemReboot';

export function logStep(run: PlanRun, name: StepName): void {
  run.env.log.debug(`[Step Supervisor] Starting Step Elixir.Peridiod.Plan.Step.${name}`);
}

export const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));
