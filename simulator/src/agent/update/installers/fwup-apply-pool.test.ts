// The worker threads run from built output only (the worker is a .js file beside the pool), so
// this test drives dist/ when it exists; under the sources the pool applies on the calling thread.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyFwupArchiveToFile, createFwupArchive, encodeUbootEnv, fwupCall } from '@vfleet/core';
import type { applyFwupOffThread as ApplyFwupOffThread } from './fwup-apply-pool.js';

const distPool = new URL('../../../../dist/agent/update/installers/fwup-apply-pool.js', import.meta.url);
const built = existsSync(fileURLToPath(new URL('../../../../dist/agent/update/installers/fwup-apply-worker.js', import.meta.url)));
const vectors = new URL('../../../../../../shared/vectors/fwup/', import.meta.url);
const read = (name: string): Buffer => readFileSync(new URL(name, vectors));
const pub = read('fwup-key.pub').toString('utf8').trim();
const MiB = 1024 * 1024;

let dir = '';
let applyOff: typeof ApplyFwupOffThread;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vfleet-fwup-pool-'));
  if (built) ({ applyFwupOffThread: applyOff } = (await import(distPool.href)) as { applyFwupOffThread: typeof ApplyFwupOffThread });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A 16 MiB image with the vector's env at 1 MiB. */
function vectorImage(name: string): string {
  const env = new Map(read('env-before.txt').toString('utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]));
  const image = Buffer.alloc(16 * MiB);
  encodeUbootEnv(env, { size: 0x20000 }).copy(image, 0x100000);
  writeFileSync(join(dir, name), image);
  return join(dir, name);
}

describe.skipIf(!built)('applyFwupOffThread (built output)', () => {
  it('applies in a worker thread exactly as on this thread, and keeps errors with their code', async () => {
    const fw = join(dir, 'signed.fw');
    writeFileSync(fw, read('ab-upgrade-signed.fw'));
    const [inWorker, here] = [vectorImage('w.img'), vectorImage('h.img')];
    const options = { task: 'upgrade', publicKeys: [pub], source: 'fwup archive' };
    expect(await applyOff({ archive: fw, image: inWorker, options })).toEqual(applyFwupArchiveToFile(fw, here, options));
    expect(readFileSync(inWorker).equals(readFileSync(here))).toBe(true);

    const unsigned = join(dir, 'unsigned.fw');
    writeFileSync(unsigned, read('ab-upgrade.fw'));
    const before = readFileSync(inWorker);
    const refused = await applyOff({ archive: unsigned, image: inWorker, options }).catch((e: unknown) => e as Error & { code?: string });
    expect(refused).toMatchObject({ name: 'VfleetError', code: 'VFLEET_SIGNATURE_INVALID', message: 'fwup archive: Expecting signed firmware archive. (a public key was given but there is no meta.conf.ed25519)' });
    expect(readFileSync(inWorker).equals(before)).toBe(true);
  });

  it('leaves the event loop free while it hashes and writes 64 MiB', async () => {
    const data = Buffer.alloc(64 * MiB);
    for (let i = 0; i < data.length; i += 64) data.writeUInt32LE((i * 2654435761) >>> 0, i);
    const fw = join(dir, 'big.fw');
    writeFileSync(fw, createFwupArchive({
      meta: { product: 'p', version: '1.0.0', platform: 'x', architecture: 'y' },
      resources: [{ name: 'r.img', data, compression: 'store' }],
      tasks: [{ name: 'go', onResource: [{ resource: 'r.img', calls: [fwupCall('raw_write', 0)] }] }],
    }));
    writeFileSync(join(dir, 'big.img'), Buffer.alloc(65 * MiB));
    await applyOff({ archive: fw, image: join(dir, 'big.img'), options: { task: 'go' } }); // a worker started
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      await applyOff({ archive: fw, image: join(dir, 'big.img'), options: { task: 'go' } });
    } finally {
      clearInterval(timer);
    }
    // on this thread the same apply takes ~200 ms with no tick at all
    expect(ticks).toBeGreaterThanOrEqual(3);
    expect(readFileSync(join(dir, 'big.img')).subarray(0, data.length).equals(data)).toBe(true);
  });

  it('runs one apply per core at a time; an abort gives up a place in the queue', async () => {
    const fw = join(dir, 'signed.fw');
    const options = { task: 'upgrade', publicKeys: [pub] };
    const cores = availableParallelism();
    const first = Array.from({ length: cores }, (_, i) => applyOff({ archive: fw, image: vectorImage(`q${i}.img`), options }));
    const controller = new AbortController();
    const queued = applyOff({ archive: fw, image: vectorImage('queued.img'), options }, controller.signal);
    controller.abort(new Error('agent stopping'));
    await expect(queued).rejects.toThrow('agent stopping');
    for (const r of await Promise.all(first)) expect(r.task).toBe('upgrade.b');
    // nothing was written for the job that gave up its place
    expect(readFileSync(join(dir, 'queued.img')).equals(readFileSync(vectorImage('untouched.img')))).toBe(true);
  });
});
