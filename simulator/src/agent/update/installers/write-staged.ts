import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/** Bytes per write of copied (small) chunks; two such buffers per file, made when first needed. */
export const STAGE_BYTES = 128 * 1024;

async function writeAll(file: FileHandle, buffer: Uint8Array, length: number): Promise<void> {
  for (let at = 0; at < length;) {
    const { bytesWritten } = await file.write(buffer, at, length - at);
    at += bytesWritten;
  }
}

/**
 * Create only: an existing file or link at the path (say one planted under a predictable name) is
 * an error, never truncated or followed.
 */
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** A chunk at least this large that arrives on a stage boundary is written as it is, not copied. */
export const DIRECT_BYTES = 32 * 1024;

/**
 * Writes a byte stream into a new file at `path`, which must not exist yet (callers pick an
 * unpredictable name), with asynchronous writes, one at a time and in order. A chunk of
 * DIRECT_BYTES or more that starts on a stage boundary is written from the chunk itself, and the
 * next chunk is asked for only once that write is done (so a lent chunk, valid until the next is
 * asked for, is never read after that); a download keeps filling its other buffers meanwhile. Smaller chunks are copied into one of two STAGE_BYTES buffers, made on first
 * use: one fills while the other is written. Network chunks are dropped as soon as they are written
 * or copied instead of waiting in a disk queue, which keeps them short-lived for the garbage collector
 * (with many downloads in one process, chunks held until their write completed were promoted to the
 * old generation and set off a full collection every few tens of MiB). Rejects with the source's
 * error, a write error, or the signal's reason once aborted; the caller removes the partial file.
 */
export async function writeStaged(source: AsyncIterable<Uint8Array>, path: string, mode: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  const file = await open(path, CREATE_NEW, mode);
  const iterator = source[Symbol.asyncIterator]();
  // One listener for the whole call rejects whichever wait is current. (A Promise.race against one
  // long-lived abort promise would leave a reaction on it per wait, keeping every chunk alive.)
  let rejectWait: ((reason: unknown) => void) | undefined;
  const onAbort = (): void => rejectWait?.(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const wait = <T>(work: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (signal.aborted) reject(signal.reason);
      rejectWait = reject;
      work.then(resolve, reject);
    });
  let writing: Promise<unknown> = Promise.resolve();
  let finished = false;
  try {
    // the stage buffers, made when a chunk first has to be copied
    let filling: Buffer | undefined;
    let spare: Buffer | undefined;
    let filled = 0;
    const flush = async (): Promise<void> => {
      await wait(writing); // `spare` is free again
      writing = writeAll(file, filling as Buffer, filled);
      writing.catch(() => undefined); // awaited at the next flush; not an unhandled rejection meanwhile
      [filling, spare] = [spare, filling];
      filled = 0;
    };
    for (;;) {
      const next = await wait(iterator.next());
      if (next.done === true) break;
      const chunk = next.value;
      if (filled === 0 && chunk.length >= DIRECT_BYTES) {
        await wait(writing);
        writing = writeAll(file, chunk, chunk.length);
        // done before the next chunk is asked for: the source may reuse this one then
        await wait(writing);
        continue;
      }
      filling ??= Buffer.allocUnsafeSlow(STAGE_BYTES);
      spare ??= Buffer.allocUnsafeSlow(STAGE_BYTES);
      for (let at = 0; at < chunk.length;) {
        const n = Math.min(STAGE_BYTES - filled, chunk.length - at);
        filling.set(chunk.subarray(at, at + n), filled);
        filled += n;
        at += n;
        if (filled === STAGE_BYTES) await flush();
      }
    }
    finished = true;
    if (filled > 0) await flush();
    await wait(writing);
  } finally {
    signal.removeEventListener('abort', onAbort);
    rejectWait = undefined;
    // stops a source that is still running (a download still holding its connection)
    if (!finished) void iterator.return?.().catch(() => undefined);
    await writing.catch(() => undefined);
    await file.close();
  }
}
