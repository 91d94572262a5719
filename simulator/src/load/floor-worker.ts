// Worker entry of the floor measurement (floor.ts): one share of the hash-and-write work.
import { workerData } from 'node:worker_threads';
import { hashWrite } from './floor-work.js';

const { dir, from, step, n, size } = workerData as { dir: string; from: number; step: number; n: number; size: number };
hashWrite(dir, from, step, n, size);
