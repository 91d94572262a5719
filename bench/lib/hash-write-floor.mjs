// The rollout's floor (bench/rollout.mjs, bench/native-transfer.mjs, bench/download-pipeline.mjs):
// n files of `size` bytes hashed (SHA-256) and written into `dir` by `threads` worker threads
// (./hash-write.mjs), the files shared out round-robin. Resolves to wall and CPU seconds (user +
// system, all threads of this process) and the system part.
import { Worker } from 'node:worker_threads';

export async function hashWriteFloor({ dir, n, size, threads }) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: threads }, (_, w) => new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./hash-write.mjs', import.meta.url), { workerData: { dir, from: w, step: threads, n, size } });
    worker.once('exit', resolve);
    worker.once('error', reject);
  })));
  const cpu = process.cpuUsage(cpu0);
  return { seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, systemSeconds: cpu.system / 1e6 };
}
