import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { Writable } from 'node:stream';
import { MetricsCollector } from './collector.js';
import { createProgress, progressLine } from './progress.js';
import type { LiveState } from './runner.js';

const live = (over: Partial<LiveState> = {}): LiveState => ({
  elapsedSeconds: 12.5, phase: 'ramp (2/4)', provisioned: 3, online: 2, updated: 1, updating: 1, targetVersion: '1.5.0',
  collector: new MetricsCollector(() => undefined), ...over,
});

/** A stream that records what it was given, as a terminal or not. */
function recorder(tty: boolean): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      written.push(chunk.toString());
      cb();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, { isTTY: tty, columns: 200 });
  return { stream, written };
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill();
});

/** A pipe whose reader closed its end (`vfleet load … | head`): a write to it fails with EPIPE. */
async function closedPipe(): Promise<NodeJS.WriteStream> {
  const child = spawn(process.execPath, ['-e', "require('fs').closeSync(0); console.log('closed'); setTimeout(() => {}, 60000)"], { stdio: ['pipe', 'pipe', 'ignore'] });
  children.push(child);
  await once(child.stdout, 'data');
  return child.stdin as unknown as NodeJS.WriteStream;
}

/** Like process.stderr on a closed pipe: never destroyed, so every write fails and emits 'error' again. */
class BrokenStdio extends EventEmitter {
  attempts = 0;
  readonly isTTY = false;
  write(): boolean {
    this.attempts++;
    process.nextTick(() => this.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })));
    return false;
  }
}

const ticks = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('createProgress', () => {
  it('survives a closed pipe (EPIPE) and writes nothing more to it, so the run goes on to its reports', async () => {
    const stream = await closedPipe();
    const errors: Error[] = [];
    // what would otherwise reach the process as an uncaught exception
    stream.on('error', (e) => errors.push(e));
    let writes = 0;
    const write = stream.write.bind(stream);
    stream.write = ((...a: Parameters<typeof write>) => (writes++, write(...a))) as typeof stream.write;
    const progress = createProgress(stream, 0);
    progress.update(live());
    await ticks(20);
    expect(errors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['EPIPE']);
    const before = writes;
    for (let i = 0; i < 5; i++) {
      progress.update(live({ elapsedSeconds: 13 + i }));
      await ticks(5);
    }
    expect(writes).toBe(before);
    expect(errors).toHaveLength(1);
  });

  it('keeps a closed pipe from becoming an uncaught exception on its own (one listener per stream, however many writers)', async () => {
    const stream = await closedPipe();
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    // vitest's own handler would report it as well; this one lets the test say what happened
    process.prependListener('uncaughtException', onUncaught);
    try {
      const a = createProgress(stream, 0);
      const b = createProgress(stream, 0);
      a.update(live());
      b.say('embedded backend up');
      await ticks(20);
      a.update(live());
      b.say('again');
      await ticks(20);
      expect(uncaught).toEqual([]);
      expect(stream.listenerCount('error')).toBe(1);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  it('stops writing to a stream that fails on every write (process.stderr on a closed pipe)', async () => {
    const stream = new BrokenStdio();
    const progress = createProgress(stream as unknown as NodeJS.WriteStream, 0);
    progress.update(live());
    // the failure arrives after the write, as it does from a pipe
    await ticks(2);
    for (let i = 0; i < 5; i++) {
      progress.update(live({ elapsedSeconds: i }));
      progress.say(`line ${i}`);
      await ticks(2);
    }
    expect(stream.attempts).toBe(1);
  });

  it('on a terminal rewrites the line in place and moves off it before a message', () => {
    const { stream, written } = recorder(true);
    const progress = createProgress(stream);
    progress.update(live());
    progress.say('wait: all online');
    expect(written).toEqual([
      '\r\x1b[K[12.5s] ramp (2/4) · 2/3 online · 1 on 1.5.0 · 1 updating · errors 0',
      '\r\x1b[K',
      'wait: all online\n',
    ]);
  });

  it('escapes control characters from the scenario in the progress line', () => {
    const line = progressLine(live({ targetVersion: '\x1b[2J1.5.0\u009b' }));
    expect(line).toBe('[12.5s] ramp (2/4) · 2/3 online · 1 on \\u001b[2J1.5.0\\u009b · 1 updating · errors 0');
    const { stream, written } = recorder(false);
    createProgress(stream).update(live({ targetVersion: '\x1b]0;pwned\x07' }));
    // eslint-disable-next-line no-control-regex
    expect(written.join('')).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });
});
