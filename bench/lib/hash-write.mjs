// Floor worker for bench/rollout.mjs: hash and write `size` bytes for every step-th of n devices.
import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { workerData } from 'node:worker_threads';
import { deterministicBytes } from './bytes.mjs';

const { dir, from, step, n, size } = workerData;
const content = deterministicBytes('rollout', size);
const chunk = 256 * 1024;
for (let i = from; i < n; i += step) {
  const hash = createHash('sha256');
  const fd = openSync(join(dir, `f${i}`), 'wx');
  for (let at = 0; at < size; at += chunk) {
    const part = content.subarray(at, at + chunk);
    hash.update(part);
    writeSync(fd, part);
  }
  closeSync(fd);
  hash.digest();
}
