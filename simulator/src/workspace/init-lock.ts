// One `vfleet init` at a time per workspace: two at once (two `devices create` on a fresh workspace)
// each made a root CA, and one could sign the intermediates with a root whose files the other wrote.
import { linkSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { VfleetError } from '@vfleet/core';
import { readRegularFile } from '@vfleet/core/fs/read-regular-file';
import { processAlive as alive } from '../devices/process-alive.js';

const LOCK_NAME = '.init-lock';
/** The copy a lock is linked from: `.init-lock.<pid>-<8 hex>`. */
const COPY = /^\.init-lock\.(\d+)-[0-9a-f]{8}$/;
const POLL_MS = 20;

/** The lock's state: its holder's pid when that process lives. */
function holder(file: string): { gone: true } | { gone: false; pid?: number } {
  const r = readRegularFile(file, 64, { noFollow: true });
  if (r.status === 'missing') return { gone: true };
  // a lock is linked into place with its pid in it: anything else there is no live holder's
  const pid = r.status === 'ok' ? Number(r.bytes.toString('utf8').trim()) : NaN;
  return Number.isSafeInteger(pid) && pid > 0 && alive(pid) ? { gone: false, pid } : { gone: false };
}

/** Removes the `.init-lock.<pid>-<hex>` copies of processes killed before they cleaned up. */
function removeDeadCopies(home: string): void {
  for (const name of readdirSync(home)) {
    const pid = COPY.exec(name)?.[1];
    if (pid !== undefined && !alive(Number(pid))) rmSync(join(home, name), { force: true });
  }
}

/**
 * Takes the workspace for init, waiting up to `waitMs` while another live process has it, and
 * taking over a lock whose process is gone. Returns the release function.
 */
export function lockForInit(home: string, waitMs = 60_000): () => void {
  const file = join(home, LOCK_NAME);
  const fail = (e: unknown): VfleetError =>
    new VfleetError('VFLEET_WORKSPACE', `${file}: cannot take the workspace for init: ${(e as Error).message}`, { cause: e });
  // written whole beside the lock, then linked: the lock never exists without its pid
  const mine = `${file}.${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    mkdirSync(home, { recursive: true });
    writeFileSync(mine, `${process.pid}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    rmSync(mine, { force: true });
    throw fail(e);
  }
  const deadline = Date.now() + waitMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  try {
    for (;;) {
      try {
        linkSync(mine, file);
        removeDeadCopies(home);
        return () => rmSync(file, { force: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fail(e);
      }
      const held = holder(file);
      if (held.gone) continue;
      if (held.pid === undefined) {
        rmSync(file, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new VfleetError('VFLEET_WORKSPACE', `${home}: process ${held.pid} is initialising this workspace; wait for it, or remove ${file} if no vfleet is running`);
      }
      Atomics.wait(pause, 0, 0, POLL_MS);
    }
  } finally {
    rmSync(mine, { force: true });
  }
}
