import { parentPort, workerData } from 'node:worker_threads';
import type { ContextOptions } from './context.js';
import { generateInThread } from './generate.js';
import type { DeviceSpec } from './spec.js';

const { ctx, specs } = workerData as { ctx: ContextOptions; specs: DeviceSpec[] };
parentPort?.postMessage(generateInThread(ctx, specs));
