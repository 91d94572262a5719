import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createFlushLane } from './flush-lane.js';

const dir = mkdtempSync(join(tmpdir(), 'vfleet-flush-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('createFlushLane', () => {
  it('flushes many descriptors at once on at most its threads', async () => {
    const lane = createFlushLane(2);
    const fds = Array.from({ length: 12 }, (_, i) => {
      const fd = openSync(join(dir, `f${i}`), 'w');
      writeSync(fd, `file ${i}\n`);
      return fd;
    });
    try {
      await Promise.all(fds.map((fd) => lane.flush(fd)));
    } finally {
      for (const fd of fds) closeSync(fd);
      await lane.close();
    }
  });

  it('keeps the process alive while it flushes, and not once idle (the compiled lane, in a process of its own)', () => {
    const lane = fileURLToPath(new URL('../../dist/agent/flush-lane.js', import.meta.url));
    const script = `import { createFlushLane } from ${JSON.stringify(lane)};
      import { openSync, writeSync } from 'node:fs';
      const fd = openSync(${JSON.stringify(join(dir, 'child'))}, 'w');
      writeSync(fd, 'x');
      createFlushLane(2).flush(fd).then(() => console.log('flushed'));`;
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect([r.stdout, r.stderr, r.status, r.signal]).toEqual(['flushed\n', '', 0, null]);
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it('rejects with the errno of a descriptor fdatasync refuses, and goes on flushing the others', async () => {
    const lane = createFlushLane(1);
    const fd = openSync(join(dir, 'good'), 'w');
    // a descriptor number no process gets (above any open-file limit)
    const closed = 1 << 30;
    try {
      const bad = lane.flush(closed);
      const good = lane.flush(fd);
      await expect(bad).rejects.toMatchObject({ code: 'EBADF' });
      await expect(good).resolves.toBeUndefined();
    } finally {
      closeSync(fd);
      await lane.close();
    }
  });

  it('after close, new and waiting flushes reject; a bad thread count is refused', async () => {
    const lane = createFlushLane(1);
    await lane.close();
    await expect(lane.flush(0)).rejects.toThrow('fdatasync threads closed');
    for (const n of [0, -1, 1.5, Number.NaN]) expect(() => createFlushLane(n)).toThrow(/flush lane: threads must be a whole number of at least 1/);
  });
});
