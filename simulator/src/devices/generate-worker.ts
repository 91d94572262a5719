import { parentPort, workerData } from 'node:worker_threads';
import type { DeviceSpec } from './spec.js';
import { writeBatch, type GenerationPlan } from './write-device.js';

const { plan, specs } = workerData as { plan: GenerationPlan; specs: DeviceSpec[] };
parentPort?.postMessage(writeBatch(plan, specs));
