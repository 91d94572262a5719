import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { hashWrite } from './floor-work.js';

export interface FloorResult {
  seconds: number;
  /** How long the floor waited first for the memory the devices freed to cost what the rollout's cost (floorSettleMs). */
  settledSeconds: number;
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
export async function measureFloor(dir: string, devices: number, bytes: number, settledSeconds = 0): Promise<FloorResult> {
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
    return { seconds: (performance.now() - t0) / 1000, settledSeconds, threads, bytes: bytes * devices };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Below this much freed, the difference is lost in the floor's own noise. */
const SETTLE_FROM_BYTES = 2 ** 30;
/** Measured on such a VM (1000 x 16 MiB): the floor costs about half just after a delete, and as much as after idle 40-60 s later. */
const FREED_MEMORY_SETTLE_MS = 60_000;

/**
 * How long to wait, after the devices' `freedBytes` were deleted, before the floor: on a VM whose
 * memory balloon reports free pages to its host, writing into memory freed a moment ago costs about
 * half of writing into memory free for a while (where the rollout wrote), so a floor timed at once
 * would flatter the machine and make the rollout look slower than it is. Elsewhere no wait.
 */
export function floorSettleMs(freedBytes: number, virtioDevices = '/sys/bus/virtio/devices'): number {
  return freedBytes >= SETTLE_FROM_BYTES && freePageReporting(virtioDevices) ? FREED_MEMORY_SETTLE_MS : 0;
}

/** Whether a virtio memory balloon (device 5) reports free pages to the host (feature bit 5, VIRTIO_BALLOON_F_REPORTING). */
export function freePageReporting(virtioDevices = '/sys/bus/virtio/devices'): boolean {
  let names: string[];
  try {
    names = readdirSync(virtioDevices);
  } catch {
    return false;
  }
  return names.some((name) => {
    try {
      const device = readFileSync(join(virtioDevices, name, 'device'), 'utf8').trim();
      return device === '0x0005' && readFileSync(join(virtioDevices, name, 'features'), 'utf8').charAt(5) === '1';
    } catch {
      return false;
    }
  });
}
