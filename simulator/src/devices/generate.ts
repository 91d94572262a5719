import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { buildContext, generationPlan, type ContextOptions } from './context.js';
import type { DeviceSpec } from './spec.js';
import { writeBatch, type GenerateResult, type GenerationPlan } from './write-device.js';

export type { GenerateResult } from './write-device.js';

export interface GenerateOptions extends ContextOptions {
  specs: DeviceSpec[];
  /** Worker threads to use; default: one per core for large batches, none for small ones. */
  workers?: number;
}

const workerUrl = new URL('./generate-worker.js', import.meta.url);

/** Generates device directories; identity work is spread over worker threads for big batches. */
export async function generateDevices(opts: GenerateOptions): Promise<GenerateResult> {
  mkdirSync(opts.out, { recursive: true });
  if (opts.specs.length >= SPREAD_FROM) spreadDeviceDirectories(opts.out);
  const canThread = existsSync(fileURLToPath(workerUrl));
  const workers = Math.min(opts.workers ?? defaultWorkers(opts.specs.length), opts.specs.length);
  if (workers <= 1 || !canThread) return generateInThread(opts, opts.specs);
  const { specs, workers: _w, ...ctx } = opts;
  // The plan is made here once (and fails here, with the same error as in-thread, before any
  // worker starts); workers only write.
  const plan = planFor(ctx, specs);
  const slices = Array.from({ length: workers }, (_, w) => specs.filter((_, i) => i % workers === w));
  const parts = await Promise.all(
    slices.map(
      (slice) =>
        new Promise<GenerateResult>((resolve, reject) => {
          const worker = new Worker(workerUrl, { workerData: { plan, specs: slice } });
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
    ),
  );
  return mergeResults(parts);
}

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

/** Identity work is CPU-bound: one thread per core for big batches (more threads measured slower). */
function defaultWorkers(count: number): number {
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
function spreadDeviceDirectories(out: string): void {
  if (process.platform !== 'linux') return;
  spawnSync('chattr', ['+T', out], { stdio: 'ignore', timeout: 5000 });
}
