import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readRegularFile } from './read-regular-file.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfleet-read-regular-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const at = (name: string, text?: string): string => {
  const file = path.join(dir, name);
  if (text !== undefined) fs.writeFileSync(file, text);
  return file;
};

describe('readRegularFile', () => {
  it('reads a regular file up to and including the limit', () => {
    expect(readRegularFile(at('a', 'hello'), 5)).toEqual({ status: 'ok', bytes: Buffer.from('hello') });
    expect(readRegularFile(at('empty', ''), 0)).toEqual({ status: 'ok', bytes: Buffer.alloc(0) });
    const big = Buffer.alloc(200 * 1024, 7);
    fs.writeFileSync(at('big'), big);
    const r = readRegularFile(at('big'), big.length);
    expect(r.status === 'ok' && r.bytes.equals(big)).toBe(true);
  });

  it('refuses a file over the limit with its size', () => {
    expect(readRegularFile(at('a', 'hello!'), 5)).toEqual({ status: 'too-big', size: 6 });
    fs.truncateSync(at('sparse', ''), 2 ** 40);
    expect(readRegularFile(at('sparse'), 1024)).toEqual({ status: 'too-big', size: 2 ** 40 });
  });

  it.runIf(fs.existsSync('/proc/self/status'))('reads to the end, not to the size fstat gives (0 for /proc files), and stops past the limit', () => {
    expect(fs.statSync('/proc/self/status').size).toBe(0);
    const r = readRegularFile('/proc/self/status', 1024 * 1024);
    expect(r.status === 'ok' ? r.bytes.toString('utf8') : r.status).toMatch(/^Name:/);
    expect(readRegularFile('/proc/self/status', 10)).toEqual({ status: 'too-big' });
  });

  it('refuses a FIFO without waiting for a writer', () => {
    const fifo = at('fifo');
    execFileSync('mkfifo', [fifo]);
    // a writer opens the FIFO after 3 s, leaving a marker first: a read that blocked returns then, and the marker shows it
    const marker = at('released');
    const rescuer = spawn('sh', ['-c', 'sleep 3; : > "$1"; exec 3> "$2"', 'sh', marker, fifo], { detached: true, stdio: 'ignore' });
    try {
      expect(readRegularFile(fifo, 1024)).toEqual({ status: 'not-regular', kind: 'FIFO' });
      expect(fs.existsSync(marker)).toBe(false);
    } finally {
      process.kill(-(rescuer.pid as number), 'SIGKILL');
    }
  });

  it('refuses a directory and device nodes', () => {
    expect(readRegularFile(dir, 1024)).toEqual({ status: 'not-regular', kind: 'directory' });
    expect(readRegularFile('/dev/null', 1024)).toEqual({ status: 'not-regular', kind: 'character device' });
    expect(readRegularFile('/dev/zero', 1024)).toEqual({ status: 'not-regular', kind: 'character device' });
  });

  it('refuses a symbolic link with noFollow, even a dangling one, and follows it without', () => {
    fs.symlinkSync(at('target', 'through the link'), at('link'));
    fs.symlinkSync('/dev/zero', at('zero'));
    fs.symlinkSync(path.join(dir, 'nowhere'), at('dangling'));
    for (const name of ['link', 'zero', 'dangling']) expect(readRegularFile(at(name), 1024, { noFollow: true })).toEqual({ status: 'link' });
    expect(readRegularFile(at('link'), 1024)).toEqual({ status: 'ok', bytes: Buffer.from('through the link') });
    expect(readRegularFile(at('zero'), 1024)).toEqual({ status: 'not-regular', kind: 'character device' });
    expect(readRegularFile(at('dangling'), 1024)).toMatchObject({ status: 'missing', error: { code: 'ENOENT' } });
  });

  it('tells a missing file from one that cannot be opened, keeping the error that names the path', () => {
    const missing = readRegularFile(at('absent'), 1024);
    expect(missing).toMatchObject({ status: 'missing', error: { code: 'ENOENT', message: `ENOENT: no such file or directory, open '${at('absent')}'` } });
    const under = path.join(at('plain', 'x'), 'child');
    expect(readRegularFile(under, 1024)).toMatchObject({ status: 'failed', error: { code: 'ENOTDIR', message: `ENOTDIR: not a directory, open '${under}'` } });
  });

  it.runIf(fs.existsSync('/proc/self/mem'))('returns a failed read as its error, not a short file', () => {
    // a regular file of size 0 whose offset 0 is unmapped memory: the read itself fails
    expect(readRegularFile('/proc/self/mem', 1024)).toMatchObject({ status: 'failed', error: { code: 'EIO', syscall: 'read' } });
  });
});
