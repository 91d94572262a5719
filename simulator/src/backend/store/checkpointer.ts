// WAL checkpoints off the serving thread. SQLite's automatic checkpoint runs inside whichever commit
// crosses the threshold and ends in an fsync of the database file; on ext4 that fsync also flushes
// whatever else the machine wrote, and the serving thread stalled up to a second on it
// (bench/backend: event-loop p99 1.26 s while devices were being generated next to it).
// A worker thread with its own connection checkpoints on a timer instead; the serving connection
// turns its automatic checkpoint off while the worker runs and back on if the worker fails.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';
import { STORE_PRAGMAS } from './pragmas.js';

// CommonJS run with `eval`: the same code from source (tests) and from dist, no separate file to find.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
// however this thread ends, the store's close() waiting on 'closed' is let go
process.on('exit', () => { Atomics.store(workerData.closed, 0, 1); Atomics.notify(workerData.closed, 0); });
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
for (const p of workerData.pragmas) db.pragma(p);
const tick = () => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ checkpointed: r ? r.checkpointed : 0 });
  } catch (e) {
    parentPort.postMessage({ error: String(e && e.message || e) });
  }
};
const timer = setInterval(tick, workerData.everyMs);
parentPort.on('message', (m) => {
  if (m !== 'close') return;
  clearInterval(timer);
  try { db.close(); } finally {
    Atomics.store(workerData.closed, 0, 1);
    Atomics.notify(workerData.closed, 0);
    parentPort.close();
  }
});
`;

export interface Checkpointer {
  /** Checkpoints the worker has run so far. */
  readonly runs: number;
  /** Stops the worker and returns once it has closed its connection. */
  close(): void;
}

export interface CheckpointerOptions {
  everyMs?: number;
  /** A checkpoint failed or the worker died: told once per failure. */
  onError: (message: string) => void;
}

export function startCheckpointer(db: Database, file: string, opts: CheckpointerOptions): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  // set to 1 by the worker once its connection is closed (or it ended): close() waits for it
  const closed = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(WORKER, { eval: true, workerData: { driver, file, pragmas: STORE_PRAGMAS, everyMs: opts.everyMs ?? 1000, closed } });
  worker.unref();
  let runs = 0;
  let open = true;
  const fallback = () => {
    if (!open) return;
    open = false;
    try {
      db.pragma('wal_autocheckpoint = 1000');
    } catch {
      // the serving connection is already closed: nothing to hand back
    }
  };
  worker.on('message', (m: { checkpointed?: number; error?: string }) => {
    if (m.error === undefined) runs++;
    else if (open) opts.onError(`WAL checkpoint failed: ${m.error}`);
  });
  worker.on('error', (e) => {
    // after close() the store (and maybe its directory) may be gone before the worker got going: not a failure
    if (!open) return;
    opts.onError(`WAL checkpoint worker failed: ${e.message}; checkpoints run on the serving connection again`);
    fallback();
  });
  worker.on('exit', fallback);
  db.pragma('wal_autocheckpoint = 0');
  return {
    get runs() {
      return runs;
    },
    close() {
      if (!open) return;
      open = false;
      worker.postMessage('close');
      // The serving connection must close last: SQLite's last closer checkpoints and deletes the WAL
      // and shm files, and a worker doing that after the store reported closed raced the caller
      // removing the directory (ENOTEMPTY in a CI run). A few ms normally; bounded if the worker hangs.
      Atomics.wait(closed, 0, 0, 5000);
    },
  };
}
