import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consoleCommand, consolePreferenceFromEnv } from './console-command.js';

const have = (...files: string[]) => (f: string) => files.includes(f);
const hostEnv = { PATH: '/usr/bin:/bin', TERM: 'xterm', HOME: '/root', SHELL: '/usr/bin/zsh', PERIDIO_PRIVATE_KEY: 'secret', LANG: 'C.UTF-8' };

describe('consoleCommand', () => {
  it('runs agetty on the PTY as peridiod does when the root is real, agetty and login exist and we are root', () => {
    const c = consoleCommand({ hostEnv, isRoot: true, executable: have('/usr/sbin/agetty', '/bin/login', '/bin/sh') });
    expect(c).toEqual({
      file: '/usr/sbin/agetty', args: ['-o', '-p -- \\u', '--keep-baud', '115200', '-', 'xterm'], cwd: '/',
      env: { PATH: '/usr/bin:/bin', TERM: 'xterm', LANG: 'C.UTF-8' }, what: 'getty',
    });
  });

  it.each([
    ['not root', { isRoot: false }],
    ['no login', { executable: have('/usr/sbin/agetty', '/usr/bin/zsh', '/root') }],
    ['paths mapped', { mappedRoot: '/nonexistent-vfleet/root' }],
  ])('falls back to a login shell ($SHELL first) when %s', (_why, over) => {
    const root = mkdtempSync(join(tmpdir(), 'vft-console-cmd-'));
    try {
      const mappedRoot = 'mappedRoot' in over ? join(root, 'root') : undefined;
      const c = consoleCommand({ hostEnv, isRoot: true, executable: have('/usr/sbin/agetty', '/bin/login', '/usr/bin/zsh', '/root'), ...over, mappedRoot });
      expect(c.what).toBe('shell');
      expect(c.file).toBe('/usr/bin/zsh');
      expect(c.args).toEqual(['-l']);
      expect(c.env).not.toHaveProperty('PERIDIO_PRIVATE_KEY');
      if (mappedRoot !== undefined) {
        expect(c.cwd).toBe(mappedRoot);
        expect(c.env['HOME']).toBe(mappedRoot);
        expect(statSync(mappedRoot).isDirectory()).toBe(true);
      } else {
        expect(c.cwd).toBe('/root');
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('takes the first of bash, zsh, sh on PATH when $SHELL is unusable', () => {
    const c = consoleCommand({ hostEnv: { ...hostEnv, SHELL: 'zsh' }, isRoot: false, executable: have('/bin/zsh', '/bin/sh') });
    expect(c.file).toBe('/bin/zsh');
    expect(c.cwd).toBe('/');
  });

  it('names what it looked for when nothing can run', () => {
    expect(() => consoleCommand({ hostEnv, isRoot: false, executable: () => false })).toThrow(/no shell: .*bash, zsh, sh.*\/usr\/bin:\/bin/);
    expect(() => consoleCommand({ hostEnv, isRoot: true, prefer: 'getty', mappedRoot: '/x', executable: () => true })).toThrow(/getty needs the device root to be real/);
    expect(() => consoleCommand({ hostEnv, isRoot: false, prefer: 'getty', executable: () => true })).toThrow(/getty needs root and agetty/);
  });

  it('reads VFLEET_CONSOLE, reporting a bad value', () => {
    const warnings: string[] = [];
    expect(consolePreferenceFromEnv(undefined, (m) => warnings.push(m))).toBe('auto');
    expect(consolePreferenceFromEnv('shell', (m) => warnings.push(m))).toBe('shell');
    expect(consolePreferenceFromEnv('getty', (m) => warnings.push(m))).toBe('getty');
    expect(consolePreferenceFromEnv('iex', (m) => warnings.push(m))).toBe('auto');
    expect(warnings).toEqual(['[Cloud Socket] VFLEET_CONSOLE="iex" ignored: expected one of auto, getty, shell']);
  });
});
