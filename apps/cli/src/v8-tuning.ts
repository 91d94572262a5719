import { setFlagsFromString } from 'node:v8';

/** V8's default --interrupt-budget (node 20, V8 11.3): bytecode executed between two tiering decisions. */
const DEFAULT_INTERRUPT_BUDGET = 67_584;

/**
 * The interrupt budget `vfleet devices create` runs with: four times V8's. A generation is a short
 * burst of the same code on every thread. With the default budget, TurboFan optimises about 110
 * functions of it (node's fs and Buffer wrappers, the DER and GPT encoders) separately in the calling
 * thread and in each generation worker, on V8's background threads: ~120 ms of CPU on two cores for
 * a 0.4 s batch of 1,000 devices, before the optimised code can pay it back. With four times the
 * budget only what stays hot is optimised. Fresh ext4, 1,000 devices, three runs each: 361–371 ms
 * against 384–393 ms; 10,000 devices: 2.9 s against 2.9–3.0 s (bench/devices-create measures the
 * command as users run it).
 */
export const GENERATION_INTERRUPT_BUDGET = 4 * DEFAULT_INTERRUPT_BUDGET;

/**
 * Sets V8's interrupt budget for the rest of this process, unless the user chose one (in
 * NODE_OPTIONS or node's own arguments). Only for a process that is about to run one generation and
 * exit: the flag is process-wide, and a long-lived process (the dashboard, a fleet) is better served
 * by V8's default.
 */
export function useGenerationTiering(): void {
  const chosen = [...process.execArgv, process.env['NODE_OPTIONS'] ?? ''].some((a) => a.includes('interrupt-budget'));
  if (!chosen) setFlagsFromString(`--interrupt-budget=${GENERATION_INTERRUPT_BUDGET}`);
}
