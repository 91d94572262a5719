import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { VfleetError } from '@vfleet/core';
import { buildContext, generationPlan, type ContextOptions } from './context.js';
import { sweepLeftovers } from './leftovers.js';
import type { DeviceSpec } from './spec.js';
import { deviceWriter, emptyResult, writeBatch, writeInto, type GenerateResult, type GenerationPlan } from './write-device.js';

export type { GenerateResult } from './write-device.js';

export interface GenerateOptions extends ContextOptions {
  specs: DeviceSpec[];
  /** Threads to write with, the calling one included; default: one per core for large batches, 1 for small ones. */
  workers?: number;
}

const workerUrl = new URL('./generate-worker.js', import.meta.url);

/**
 * Generates device directories. Big batches are shared out over the calling thread and worker
 * threads through one claim counter. The workers are started first, so their start-up (~20 ms) and
 * module loading (~20 ms) run while this thread makes the plan; this thread then starts writing at
 * once and each worker joins as soon as it has the plan, so worker start-up is never on the critical path.
 */
export async function generateDevices(opts: GenerateOptions): Promise<GenerateResult> {
  const canThread = existsSync(fileURLToPath(workerUrl));
  const threads = canThread ? Math.min(opts.workers ?? generationThreads(opts.specs.length), opts.specs.length) : 1;
  const helpers = Array.from({ length: Math.max(0, threads - 1) }, () => new Helper());
  let plan: GenerationPlan;
  try {
    plan = await prepare(opts);
  } catch (e) {
    await Promise.all(helpers.map((h) => h.cancel()));
    throw e;
  }
  if (helpers.length === 0) return writeBatch(plan, opts.specs);
  const next = new Int32Array(new SharedArrayBuffer(4));
  for (const h of helpers) h.start(plan, opts.specs, next);
  // Settle every helper before returning, so a failed one cannot leave an unhandled rejection.
  const settled = Promise.allSettled(helpers.map((h) => h.result));
  const own = await writeOnThisThread(plan, opts.specs, next);
  const parts = [own];
  for (const h of await settled) {
    if (h.status === 'rejected') throw h.reason;
    parts.push(h.value);
  }
  return mergeResults(parts);
}

/** Makes the device folder, sweeps what killed runs left in it and resolves the plan (failing here, before any device). */
async function prepare(opts: GenerateOptions): Promise<GenerationPlan> {
  try {
    mkdirSync(opts.out, { recursive: true });
  } catch (cause) {
    throw new VfleetError('VFLEET_IO', `${opts.out}: cannot make the device folder: ${(cause as Error).message}`, { cause });
  }
  // runs while the plan is made; awaited before the first device directory is created
  const spread = opts.specs.length >= SPREAD_FROM ? spreadDeviceDirectories(opts.out) : undefined;
  // a killed run's temp and replaced directories would otherwise pile up (with private keys in them)
  sweepLeftovers(opts.out);
  const { specs, workers: _w, ...ctx } = opts;
  try {
    return planFor(ctx, specs);
  } finally {
    await spread;
  }
}

/** A worker thread started before the plan exists; it loads its modules, then waits for start() or cancel(). */
class Helper {
  // Started from a line that imports the worker module, not from the file: a worker takes the
  // process's node options, and refuses --input-type for a file (a generation called from
  // `node --input-type=module -e` lost its workers and failed after writing every device on the
  // calling thread), while an execArgv of our own may not carry V8 options (the launcher's
  // --max-semi-space-size). Code given as a string reads the same under either --input-type.
  private readonly worker = new Worker(`import(${JSON.stringify(workerUrl.href)})`, { eval: true });
  readonly result: Promise<GenerateResult>;

  constructor() {
    this.result = new Promise<GenerateResult>((resolve, reject) => {
      this.worker.once('message', resolve);
      this.worker.once('error', reject);
      this.worker.once('exit', (code) => reject(new Error(`device generation worker exited with code ${code} before reporting`)));
    });
    // cancel() ends the worker on purpose; nothing waits for its result then
    this.result.catch(() => undefined);
  }

  start(plan: GenerationPlan, specs: readonly DeviceSpec[], next: Int32Array): void {
    this.worker.postMessage({ plan, specs, next });
  }

  async cancel(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Writes claimed devices a few at a time, yielding between groups so this thread's event loop keeps running. */
async function writeOnThisThread(plan: GenerationPlan, specs: readonly DeviceSpec[], next: Int32Array): Promise<GenerateResult> {
  const write = deviceWriter(plan);
  const result = emptyResult();
  for (;;) {
    for (let k = 0; k < YIELD_EVERY; k++) {
      const i = Atomics.add(next, 0, 1);
      if (i >= specs.length) return result;
      writeInto(result, write, specs[i] as DeviceSpec);
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** About 10 ms of work between event-loop turns. */
const YIELD_EVERY = 8;

/** The same work on the calling thread. */
export function generateInThread(opts: ContextOptions, specs: DeviceSpec[]): GenerateResult {
  return writeBatch(planFor(opts, specs), specs);
}

function planFor(opts: ContextOptions, specs: readonly DeviceSpec[]): GenerationPlan {
  return generationPlan(buildContext(opts), specs.map((s) => s.target), new Date());
}

function mergeResults(parts: GenerateResult[]): GenerateResult {
  const sort = (a: string[]) => a.sort();
  return {
    created: sort(parts.flatMap((p) => p.created)),
    replaced: sort(parts.flatMap((p) => p.replaced)),
    skipped: sort(parts.flatMap((p) => p.skipped)),
    failed: parts.flatMap((p) => p.failed).sort((a, b) => a.id.localeCompare(b.id)),
  };
}

/** Threads in all, the calling one included: one per core for big batches (more measured slower). */
export function generationThreads(count: number): number {
  return count < 200 ? 1 : availableParallelism();
}

const SPREAD_FROM = 100;

/**
 * Marks `out` as the top of directory hierarchies (ext4's 'T' attribute, `chattr +T`), so ext4's
 * Orlov allocator spreads the device directories over the disk's block groups instead of packing
 * them into the group of `out`. Without it every file of every device is allocated in one group;
 * on a file system without a journal (like this project's CI machines) each allocation there then
 * scans past every inode deleted in that group within the last minutes (a previous fleet, temp
 * files of tests), which measured 5–20× the kernel time of a device. Best effort: other file
 * systems, or no chattr, leave the placement as it was.
 */
function spreadDeviceDirectories(out: string): Promise<void> {
  if (process.platform !== 'linux') return Promise.resolve();
  return new Promise((resolve) => {
    const chattr = spawn('chattr', ['+T', out], { stdio: 'ignore', timeout: 5000 });
    chattr.once('error', () => resolve());
    chattr.once('close', () => resolve());
  });
}
