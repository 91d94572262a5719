// The built-in fwup applier off the event loop: applies run in worker threads, at most one per
// core at a time, so an OS update of one device (a few hundred ms of hashing and writing per
// 64 MiB) stalls neither the other agents of this process nor a TUI drawing them. Workers stay
// for the next apply and leave after a few idle seconds. Without the built worker beside this
// module (sources run by vitest, the one-file agent bundle of the process and container runtimes,
// which run one agent per process) the apply runs on the calling thread as before.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { applyFwupArchiveToFile, VfleetError, type FwupApplyResult, type FwupFileApplyOptions, type VfleetErrorCode } from '@vfleet/core';

/** What a worker is asked: only data (no runCommand; the agent's applier never executes). */
export interface FwupApplyJob {
  archive: string;
  image: string;
  options: Omit<FwupFileApplyOptions, 'runCommand' | 'allowExecute'>;
}

export type FwupApplyReply = { ok: true; result: FwupApplyResult } | { ok: false; message: string; code?: string };

const IDLE_MS = 5000;

function builtWorker(): URL | undefined {
  try {
    const url = new URL('./fwup-apply-worker.js', import.meta.url);
    return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? url : undefined;
  } catch {
    return undefined;
  }
}

interface Idle {
  worker: Worker;
  timer: NodeJS.Timeout;
}

interface Waiting {
  start: () => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

class FwupApplyPool {
  private running = 0;
  private readonly idle: Idle[] = [];
  private readonly waiting: Waiting[] = [];

  constructor(
    private readonly url: URL,
    private readonly size: number,
  ) {}

  /** Applies in a worker once one is free; aborting `signal` gives up a place in the queue, never a running apply. */
  run(job: FwupApplyJob, signal?: AbortSignal): Promise<FwupApplyResult> {
    return new Promise((resolve, reject) => {
      const start = (): void => {
        this.running++;
        this.execute(job).then(resolve, reject).finally(() => {
          this.running--;
          this.next();
        });
      };
      if (this.running < this.size) {
        start();
        return;
      }
      signal?.throwIfAborted();
      const entry: Waiting = { start };
      if (signal !== undefined) {
        entry.signal = signal;
        entry.onAbort = () => {
          const at = this.waiting.indexOf(entry);
          if (at >= 0) this.waiting.splice(at, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      this.waiting.push(entry);
    });
  }

  private next(): void {
    const entry = this.waiting.shift();
    if (entry === undefined) return;
    if (entry.onAbort !== undefined) entry.signal?.removeEventListener('abort', entry.onAbort);
    entry.start();
  }

  private execute(job: FwupApplyJob): Promise<FwupApplyResult> {
    const reused = this.idle.pop();
    if (reused !== undefined) clearTimeout(reused.timer);
    const worker = reused?.worker ?? new Worker(this.url);
    worker.ref();
    return new Promise<FwupApplyResult>((resolve, reject) => {
      const onExit = (code: number): void => {
        worker.off('message', onMessage);
        reject(new VfleetError('VFLEET_IO', `fwup apply of ${job.archive}: the applying worker thread exited with code ${code}`));
      };
      const onError = (e: Error): void => {
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        reject(new VfleetError('VFLEET_IO', `fwup apply of ${job.archive}: the applying worker thread failed: ${e.message}`, { cause: e }));
      };
      const onMessage = (reply: FwupApplyReply): void => {
        worker.off('exit', onExit);
        worker.off('error', onError);
        this.rest(worker);
        if (reply.ok) resolve(reply.result);
        else reject(reply.code === undefined ? new Error(reply.message) : new VfleetError(reply.code as VfleetErrorCode, reply.message));
      };
      worker.once('message', onMessage);
      worker.once('exit', onExit);
      worker.once('error', onError);
      worker.postMessage(job);
    });
  }

  /** An idle worker neither keeps the process alive nor stays long. */
  private rest(worker: Worker): void {
    worker.unref();
    const entry: Idle = {
      worker,
      timer: setTimeout(() => {
        const at = this.idle.indexOf(entry);
        if (at >= 0) this.idle.splice(at, 1);
        void worker.terminate();
      }, IDLE_MS).unref(),
    };
    this.idle.push(entry);
  }
}

let pool: FwupApplyPool | undefined;

/**
 * applyFwupArchiveToFile in a worker thread of this process's pool (or on this thread without
 * the built worker). Errors keep their VfleetError code and message.
 */
export async function applyFwupOffThread(job: FwupApplyJob, signal?: AbortSignal): Promise<FwupApplyResult> {
  if (pool === undefined) {
    const url = builtWorker();
    if (url === undefined) return applyFwupArchiveToFile(job.archive, job.image, job.options);
    pool = new FwupApplyPool(url, availableParallelism());
  }
  return pool.run(job, signal);
}
