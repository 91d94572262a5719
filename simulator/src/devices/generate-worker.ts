import { parentPort } from 'node:worker_threads';
import type { DeviceSpec } from './spec.js';
import { writeBatch, type GenerationPlan } from './write-device.js';

// Started before the plan is made (its modules load meanwhile); the plan comes in one message.
// `next` is the batch's shared claim counter: this thread writes whichever devices it claims first.
parentPort?.once('message', ({ plan, specs, next }: { plan: GenerationPlan; specs: DeviceSpec[]; next: Int32Array }) => {
  parentPort?.postMessage(writeBatch(plan, specs, () => Atomics.add(next, 0, 1)));
});
