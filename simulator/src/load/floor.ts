import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { hashWrite } from './floor-work.js';

export interface FloorResult {
  seconds: number;
  /** Threads that shared the work (1 when running from TypeScript sources, where workers cannot load). */
  threads: number;
  bytes: number;
}

const workerUrl = new URL('./floor-worker.js', import.meta.url);

/**
 * The floor for a rollout: what this machine needs to SHA-256 and write `bytes` once per device,
 * spread over every core. A rollout's wall time against this says how much the update pipeline
 * (TLS, HTTP, verification, state) costs on top of the bytes themselves.
 */
export async function measureFloor(dir: string, devices: number, bytes: number): Promise<FloorResult> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const threads = existsSync(fileURLToPath(workerUrl)) ? Math.min(availableParallelism(), devices) : 1;
  const t0 = performance.now();
  try {
    if (threads === 1) hashWrite(dir, 0, 1, devices, bytes);
    else {
      await Promise.all(
        Array.from({ length: threads }, (_, w) => new Promise<void>((resolve, reject) => {
          const worker = new Worker(workerUrl, { workerData: { dir, from: w, step: threads, n: devices, size: bytes } });
          worker.once('error', reject);
          worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`floor worker exited ${code}`))));
        })),
      );
    }
    return { seconds: (performance.now() - t0) / 1000, threads, bytes: bytes * devices };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
