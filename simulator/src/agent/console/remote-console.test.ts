import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '../../test-support/device.js';
import { consoleCommand, type ConsolePreference } from './console-command.js';
import { createRemoteConsole, type RemoteConsole } from './remote-console.js';

const hostEnv = { PATH: process.env['PATH'], SHELL: '/bin/sh', TERM: 'xterm', HOME: process.env['HOME'] };
const open: RemoteConsole[] = [];

/** A process that exists and is not a zombie (an orphan's reaper may be slow in a container). */
function alive(pid: string | undefined): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(opts: { inactivityMs?: number; prefer?: ConsolePreference; mapped?: boolean } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'vft-console-'));
  dirs.push(root);
  const ups: string[] = [];
  const logs: string[] = [];
  const log = { debug: () => undefined, info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };
  const c = createRemoteConsole({
    pushUp: (d) => ups.push(d),
    log,
    command: () => consoleCommand({ hostEnv, isRoot: process.getuid?.() === 0, prefer: opts.prefer ?? 'shell', mappedRoot: opts.mapped === false ? undefined : join(root, 'root') }),
    ...(opts.inactivityMs === undefined ? {} : { inactivityMs: opts.inactivityMs }),
  });
  open.push(c);
  const output = () => ups.join('');
  /** Waits until the output after `from` matches. */
  const see = async (pattern: RegExp, from = 0) => {
    await until(() => pattern.test(output().slice(from)), 10_000, 10);
    return output().slice(from).match(pattern);
  };
  return { c, ups, logs, output, see, root };
}

describe('remote console on a real PTY', () => {
  it('starts on the first dn (not on window_size), runs commands in the device root and sizes the PTY', async () => {
    const { c, output, see, logs, root } = setup();
    c.handle('window_size', { height: 33, width: 111 });
    expect(c.active).toBe(false);
    c.handle('dn', { data: 'echo hello-$((6*7)); pwd; stty size\r' });
    expect(c.active).toBe(true);
    expect(logs).toContain('[Cloud Socket] Remote Console: Starting shell');
    const m = await see(/hello-42\r\n(.*)\r\n(\d+ \d+)\r\n/);
    expect(m?.[1]).toBe(join(root, 'root'));
    expect(m?.[2]).toBe('33 111');

    const mark = output().length;
    c.handle('window_size', { height: 40, width: 120 });
    c.handle('dn', { data: 'stty size\r' });
    expect((await see(/\n(\d+ \d+)\r\n/, mark))?.[1]).toBe('40 120');
  });

  it('does not pass the agent environment to the shell', async () => {
    process.env['PERIDIO_PRIVATE_KEY'] = 'not-for-the-shell';
    try {
      const { c, see } = setup();
      c.handle('dn', { data: 'echo "key=[$PERIDIO_PRIVATE_KEY] home=$HOME"\r' });
      expect((await see(/key=\[([^$\]]*)\] home=(\/\S*)\r\n/))?.slice(1)).toEqual(['', expect.stringMatching(/\/root$/)]);
    } finally {
      delete process.env['PERIDIO_PRIVATE_KEY'];
    }
  });

  it('pushes only valid UTF-8: invalid bytes are dropped, multi-byte characters survive', async () => {
    const { c, see, output } = setup();
    c.handle('dn', { data: "printf 'A\\377B\\342\\202\\254C\\300\\257D\\n'\r" });
    await see(/AB€CD\r\n/);
    expect(output()).not.toContain('\ufffd');
    // the pushed strings re-encode to exactly the bytes they came from
    expect(Buffer.from(output()).toString('utf8')).toBe(output());
  });

  it('times out after inactivity with the banner, and the next dn starts a fresh session', async () => {
    const { c, see, logs, output } = setup({ inactivityMs: 1500 });
    c.handle('dn', { data: 'echo first-$((1+1))\r' });
    await see(/first-2/);
    await see(/Session timed out due to inactivity\.[\s\S]*Press any key to continue/);
    await until(() => !c.active, 5_000, 10);
    expect(logs).toContain('[Cloud Socket] Remote console stopped: session timed out after inactivity');
    const mark = output().length;
    c.handle('dn', { data: 'echo second-$((2+1))\r' });
    await see(/second-3/, mark);
    expect(logs.filter((l) => l === '[Cloud Socket] Remote Console: Starting shell')).toHaveLength(2);
  });

  it('restart pushes the getty banner and replaces the session', async () => {
    const { c, see, logs, output } = setup();
    c.handle('dn', { data: 'echo pid-$$\r' });
    const first = (await see(/pid-(\d+)/))?.[1];
    const mark = output().length;
    c.handle('restart', {});
    expect(output().slice(mark)).toBe('\r\n*** Restarting getty ***\r\n');
    expect(logs).toContain('[Cloud Socket] Restarting getty process from web request');
    c.handle('dn', { data: 'echo pid-$$\r' });
    const second = (await see(/pid-(\d+)/, mark))?.[1];
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    await until(() => !alive(first), 5_000, 10);
  });

  it('a shell that exits is reported with the stopped banner and restarts on the next input', async () => {
    const { c, see, output } = setup();
    c.handle('dn', { data: 'exit 3\r' });
    await see(/\r\nRemote Console stopped: shell exited with code 3\r\n/);
    expect(c.active).toBe(false);
    const mark = output().length;
    c.handle('dn', { data: 'echo back-$((5*5))\r' });
    await see(/back-25/, mark);
  });

  it('bad payloads are logged and ignored', async () => {
    const { c, logs, ups } = setup();
    c.handle('dn', { data: 42 });
    c.handle('dn', 'not an object');
    c.handle('window_size', { height: 0, width: 'wide' });
    c.handle('no_such_event', {});
    expect(c.active).toBe(false);
    expect(ups).toEqual([]);
    expect(logs.filter((l) => l.includes('ignored'))).toHaveLength(3);
  });

  it('stop hangs up the session and its foreground job', async () => {
    const { c, see } = setup();
    c.handle('dn', { data: "sh -c 'echo job-$$; exec sleep 300'\r" });
    const job = (await see(/job-(\d+)/))?.[1];
    expect(alive(job)).toBe(true);
    await c.stop();
    expect(c.active).toBe(false);
    await until(() => !alive(job), 5_000, 10);
    c.handle('dn', { data: 'echo ignored\r' });
    expect(c.active).toBe(false);
  });

  const gettyHere = process.getuid?.() === 0 && ['/sbin/agetty', '/usr/sbin/agetty'].some(existsSync) && ['/bin/login', '/usr/bin/login'].some(existsSync);
  it.skipIf(!gettyHere)('with a real device root and root rights it runs agetty: a login prompt', async () => {
    const { c, see } = setup({ prefer: 'getty', mapped: false });
    c.handle('dn', { data: '\r' });
    await see(/login: $/);
  });
});
