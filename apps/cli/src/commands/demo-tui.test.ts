// End to end: the real built `vfleet demo` in a tmux pane, driven with keystrokes, read off the screen.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveTools } from '@vfleet/core/test-support';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const main = join(root, 'apps/cli/dist/main.js');
const socket = `vft-tui-e2e-${process.pid}`;
const session = 'vft-tui-demo';
const home = mkdtempSync(join(tmpdir(), 'vft-tui-e2e-'));
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', session);

/** Source files (not tests) newer than what tsc wrote for them: dist would run old code. */
function staleSources(): string[] {
  const stale: string[] = [];
  for (const pkg of ['core', 'simulator', 'apps/tui', 'apps/cli']) {
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) && !name.endsWith('.d.ts')) {
          const out = join(root, pkg, 'dist', relative(join(root, pkg, 'src'), path)).replace(/\.tsx?$/, '.js');
          if (!existsSync(out) || statSync(out).mtimeMs < statSync(path).mtimeMs) stale.push(relative(root, path));
        }
      }
    };
    walk(join(root, pkg, 'src'));
  }
  return stale;
}

async function until(what: () => boolean, ms: number, why: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${why()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const press = async (key: string) => {
  tmux('send-keys', '-t', session, key);
  await new Promise((r) => setTimeout(r, 300));
};

/** The table row of `id` (a line that starts with it, after the marker columns). */
const row = (text: string, id: string) => text.split('\n').find((l) => l.trimStart().startsWith(id)) ?? '';
const enabled = haveTools('tmux');

beforeAll(() => {
  if (!enabled) return;
  // `npm test` builds before vitest; a developer running this file alone gets a build here
  if (staleSources().length > 0) spawnSync('npx', ['tsc', '-b', 'apps/cli'], { cwd: root, stdio: 'ignore', timeout: 180_000 });
  const left = staleSources();
  // the dashboard and the command must run what is in src; elsewhere a file being edited right now only warns
  const ours = left.filter((f) => f.startsWith('apps/'));
  if (ours.length > 0) throw new Error(`dist is older than ${ours.slice(0, 3).join(', ')}: run npx tsc -b (it failed here)`);
  if (left.length > 0) console.warn(`dist is older than ${left.slice(0, 3).join(', ')}`);
}, 200_000);

afterAll(async () => {
  if (enabled) {
    try {
      if (spawnSync('tmux', ['-L', socket, 'has-session', '-t', session]).status !== 0) return;
      await press('q');
      await press('y');
      await until(() => spawnSync('tmux', ['-L', socket, 'has-session', '-t', session]).status !== 0, 15_000, () => 'the demo did not exit after q y');
    } finally {
      spawnSync('tmux', ['-L', socket, 'kill-server']);
      rmSync(home, { recursive: true, force: true });
    }
  }
}, 30_000);

describe.skipIf(!enabled)('vfleet demo in a terminal', () => {
  it('shows the six EVK devices online, enables r1002 from the releases view, and both canaries reach 2.0.0', async () => {
    const log = join(home, 'stderr.log');
    const cmd = `node ${main} --home ${home} demo --port 0 --admin-port 0 --binary-port 0 --size-scale 0.001 2>${log}`;
    tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', '-e', 'TERM=xterm-256color', cmd);
    const ids = ['EI-ML-0001', 'EI-ML-0002', 'EI-ML-0003', 'EI-ML-0004', 'EI-ML-0005', 'EI-ML-0006'];
    const why = () => `screen:\n${screen()}\nstderr:\n${existsSync(log) ? readFileSync(log, 'utf8') : ''}`;
    await until(() => {
      const s = screen();
      return s.includes('6 devices · 6 online') && ids.every((id) => /\bonline\s+1\.1\.0\b/.test(row(s, id)));
    }, 60_000, why);

    await press('3');
    await until(() => row(screen(), 'release-r1002') !== '', 10_000, why); // a table row, not the narration
    const releases = screen().split('\n').filter((l) => /^\s+release-r\d+/.test(l));
    const at = releases.findIndex((l) => l.includes('release-r1002'));
    expect(row(screen(), 'release-r1002')).toMatch(/disabled\s+tags canary/);
    for (let i = 0; i < at; i++) await press('Down');
    await press('e');
    await until(() => /enabled\s+tags canary/.test(row(screen(), 'release-r1002')), 10_000, why);

    await press('1');
    await until(() => ['EI-ML-0001', 'EI-ML-0002'].every((id) => /\bonline\s+2\.0\.0\b/.test(row(screen(), id))), 60_000, why);
    const s = screen();
    for (const id of ids.slice(2)) expect(row(s, id)).toMatch(/\b1\.1\.0\b/);
    for (const line of s.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  }, 180_000);
});

describe.skipIf(!enabled)('vfleet demo without a terminal', () => {
  it('prints the table as lines and, with --auto, plays the story: canaries, half of the rest, a reboot, a tunnel', async () => {
    const plainHome = mkdtempSync(join(tmpdir(), 'vft-tui-plain-'));
    const child = spawn(process.execPath, [main, '--home', plainHome, 'demo', '--auto', '--refresh', '500ms', '--port', '0', '--admin-port', '0', '--binary-port', '0', '--size-scale', '0.001'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // every line stamped with the seconds since spawn, so a slow or stuck step shows where the time went
    const t0 = Date.now();
    let out = '';
    let stamped = '';
    const take = (d: Buffer) => {
      const text = d.toString();
      out += text;
      stamped += text.replace(/^(?=.)/gm, () => `[${((Date.now() - t0) / 1000).toFixed(1)}s] `);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    // one budget for the whole story (a loaded CI machine is slow everywhere, not in one step), inside the test's timeout
    const deadline = Date.now() + 200_000;
    const why = () => stamped.slice(-4000);
    const step = (what: () => boolean) => until(what, Math.max(0, deadline - Date.now()), why);
    try {
      await step(() => out.includes('demo 1/4: release-r1002 enabled'));
      // the last table printed once the canaries are done: both on 2.0.0, the rest still on 1.1.0
      await step(() => out.includes('demo 2/4:'));
      const before = out.slice(0, out.indexOf('demo 2/4:'));
      const table = before.slice(before.lastIndexOf('DEVICE'));
      expect(table).toMatch(/EI-ML-0001\s+canary\s+running\s+online\s+\d+\s+a\s+2\.0\.0/);
      expect(table).toMatch(/EI-ML-0002\s+canary\s+running\s+online\s+\d+\s+a\s+2\.0\.0/);
      expect(table).toMatch(/EI-ML-0004 .*\b1\.1\.0\b/);
      await step(() => out.includes('demo 3/4: reboot sent to EI-ML-0003'));
      // the fourth step starts once the reboot shows; whether the tunnel opens is the tunnel tests' business
      await step(() => out.includes('demo 4/4: A remote access tunnel'));
      // the reboot showed: EI-ML-0003 booted a second time
      expect(out.slice(0, out.lastIndexOf('demo 4/4'))).toMatch(/EI-ML-0003\s+\S+\s+running\s+online\s+2\s/);
      expect(out).not.toContain('\x1b['); // no escape sequences on a pipe
    } finally {
      child.kill('SIGTERM');
      // a demo that does not stop is a failure with its output, not a test that hangs until vitest gives up
      const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
      if (code === 'hung') child.kill('SIGKILL');
      rmSync(plainHome, { recursive: true, force: true });
      expect(code, `exit after SIGTERM; output:\n${why()}`).toBe(0);
      expect(out).toContain('stopping the fleet and the backend');
    }
  }, 260_000);
});
