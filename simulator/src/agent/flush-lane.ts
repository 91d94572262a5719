import { Worker } from 'node:worker_threads';

/**
 * fdatasync calls made on threads of their own, for the many devices of one process (the in-process
 * runtime). Each device flushes its U-Boot env after every state write; in libuv's thread pool
 * (as many threads as cores) a flush that waits behind gigabytes of writeback holds a thread every
 * download write and file operation of the process needs, and during a rollout the whole process
 * stalled on them. Here a flush only waits for the disk. Threads start on first use, at most
 * `threads`, and keep the process alive only while they flush.
 */
export interface FlushLane {
  readonly threads: number;
  /** fdatasync(fd); `fd` must stay open until this settles. Rejects with the errno error. */
  flush(fd: number): Promise<void>;
  /** Ends the threads; flushes not yet begun reject. */
  close(): Promise<void>;
}

// imports that work whether the worker's code is taken as CommonJS or as a module (a process
// started with --input-type=module passes it on to eval workers); messages wait for the listener
const SOURCE = `
Promise.all([import('node:worker_threads'), import('node:fs')]).then(([{ parentPort }, { fdatasyncSync }]) => {
  parentPort.on('message', (m) => {
    let error = null;
    try {
      fdatasyncSync(m.fd);
    } catch (e) {
      error = { message: String(e && e.message), code: e && e.code };
    }
    parentPort.postMessage({ id: m.id, error });
  });
});
`;

interface Job {
  id: number;
  fd: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

interface Lane {
  worker: Worker;
  job: Job | undefined;
}

interface Reply {
  id: number;
  error: { message: string; code?: string } | null;
}

export function createFlushLane(threads: number): FlushLane {
  if (!Number.isSafeInteger(threads) || threads < 1) throw new RangeError(`flush lane: threads must be a whole number of at least 1, not ${String(threads)}`);
  const lanes: Lane[] = [];
  const queue: Job[] = [];
  let nextId = 0;
  let closed = false;

  const drop = (lane: Lane, why: string): void => {
    const at = lanes.indexOf(lane);
    if (at < 0) return;
    lanes.splice(at, 1);
    const job = lane.job;
    lane.job = undefined;
    job?.reject(new Error(`fdatasync thread ${why}`));
    pump();
  };

  const start = (): Lane => {
    const worker = new Worker(SOURCE, { eval: true, resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 } });
    const lane: Lane = { worker, job: undefined };
    worker.unref();
    worker.on('message', (m: Reply) => {
      const job = lane.job;
      lane.job = undefined;
      worker.unref();
      if (job !== undefined && job.id === m.id) {
        if (m.error === null) job.resolve();
        else job.reject(Object.assign(new Error(m.error.message), m.error.code === undefined ? {} : { code: m.error.code }));
      }
      pump();
    });
    worker.on('error', (e) => drop(lane, `failed: ${e.message}`));
    worker.on('exit', (code) => drop(lane, `exited with code ${code}`));
    lanes.push(lane);
    return lane;
  };

  function pump(): void {
    while (!closed && queue.length > 0) {
      const lane = lanes.find((l) => l.job === undefined) ?? (lanes.length < threads ? start() : undefined);
      if (lane === undefined) return;
      const job = queue.shift() as Job;
      lane.job = job;
      lane.worker.ref();
      lane.worker.postMessage({ id: job.id, fd: job.fd });
    }
  }

  return {
    threads,
    flush(fd) {
      if (closed) return Promise.reject(new Error('fdatasync threads closed'));
      return new Promise<void>((resolve, reject) => {
        queue.push({ id: nextId++, fd, resolve, reject });
        pump();
      });
    },
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.reject(new Error('fdatasync threads closed'));
      const ending = lanes.splice(0);
      for (const lane of ending) lane.job?.reject(new Error('fdatasync threads closed'));
      await Promise.all(ending.map((l) => l.worker.terminate()));
    },
  };
}
