import { existsSync, mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { buildContext, type ContextOptions } from './context.js';
import type { DeviceSpec } from './spec.js';
import { writeDevice, type WriteOutcome } from './write-device.js';

export interface GenerateOptions extends ContextOptions {
  specs: DeviceSpec[];
  /** Worker threads to use; default: one per core for large batches, none for small ones. */
  workers?: number;
}

export interface GenerateResult {
  created: string[];
  replaced: string[];
  skipped: string[];
  failed: Array<{ id: string; error: string }>;
}

const workerUrl = new URL('./generate-worker.js', import.meta.url);

/** Generates device directories; identity work is spread over worker threads for big batches. */
export async function generateDevices(opts: GenerateOptions): Promise<GenerateResult> {
  mkdirSync(opts.out, { recursive: true });
  const canThread = existsSync(fileURLToPath(workerUrl));
  const workers = Math.min(opts.workers ?? defaultWorkers(opts.specs.length), opts.specs.length);
  if (workers <= 1 || !canThread) return generateInThread(opts, opts.specs);
  const { specs, workers: _w, ...ctx } = opts;
  buildContext(ctx); // fail fast, with the same error as in-thread, before any worker starts
  const slices = Array.from({ length: workers }, (_, w) => specs.filter((_, i) => i % workers === w));
  const parts = await Promise.all(
    slices.map(
      (slice) =>
        new Promise<GenerateResult>((resolve, reject) => {
          const worker = new Worker(workerUrl, { workerData: { ctx, specs: slice } });
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
    ),
  );
  return mergeResults(parts);
}

/** The same work on the calling thread; also what each worker runs. */
export function generateInThread(opts: ContextOptions, specs: DeviceSpec[]): GenerateResult {
  const ctx = buildContext(opts);
  const result: GenerateResult = { created: [], replaced: [], skipped: [], failed: [] };
  const now = new Date();
  for (const spec of specs) {
    let outcome: WriteOutcome;
    try {
      outcome = writeDevice(ctx, spec, now);
    } catch (e) {
      result.failed.push({ id: spec.id, error: (e as Error).message });
      continue;
    }
    result[outcome].push(spec.id);
  }
  return result;
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
