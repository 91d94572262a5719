import { parentPort, workerData } from 'node:worker_threads';
import type { DeviceSpec } from './spec.js';
import { writeBatch, type GenerationPlan } from './write-device.js';

/** `next` is the batch's shared claim counter: this thread writes whichever devices it claims first. */
const { plan, specs, next } = workerData as { plan: GenerationPlan; specs: DeviceSpec[]; next: Int32Array };
parentPort?.postMessage(writeBatch(plan, specs, () => Atomics.add(next, 0, 1)));
