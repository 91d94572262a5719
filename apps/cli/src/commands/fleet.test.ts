import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultAgentEntry } from '@vfleet/simulator';
import { durationFlag, rateFlag } from './fleet.js';
import { runVfleet } from '../test-support/run-vfleet.js';

const bin = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const built = existsSync(bin) && existsSync(defaultAgentEntry());
if (!built && process.env['CI'] === 'true') throw new Error(`${bin} or the agent is not built: CI builds before testing`);
const root = mkdtempSync(join(tmpdir(), 'vfleet-clifleet-'));
const home = join(root, 'home');
const strays = new Set<number>();
afterAll(() => {
  for (const pid of strays) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  rmSync(root, { recursive: true, force: true });
});

const vfleet = (...argv: string[]) => runVfleet(home, argv);

/** Running, not a zombie left behind by a killed parent. */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function eventually(what: () => Promise<boolean> | boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('fleet flags', () => {
  it('reads rates and durations, and names what it wants otherwise', () => {
    expect([rateFlag('10/s'), rateFlag('0.5/s'), rateFlag('25'), rateFlag('600/m')]).toEqual([10, 0.5, 25, 10]);
    expect(() => rateFlag('fast')).toThrow(/--rate "fast": expected devices per second/);
    expect(() => rateFlag('0/s')).toThrow(/--rate/);
    const jitter = durationFlag('--jitter');
    expect([jitter('2s'), jitter('500ms'), jitter('1m'), jitter('0'), jitter('1.5'), jitter('1m30s')]).toEqual([2000, 500, 60_000, 0, 1500, 90_000]);
    expect(() => jitter('-1s')).toThrow(/--jitter/);
    expect(() => jitter('soon')).toThrow(/--jitter "soon": expected a duration/);
  });
});

describe.skipIf(!built)('vfleet up -d / ps / logs / reboot / down (process runtime)', () => {
  it('detaches a supervisor, acts on it over the socket, and down cleans up after it was SIGKILLed', async () => {
    const devices = join(root, 'devices');
    const up = spawnSync(process.execPath, [
      bin, '--home', home, 'up', '-d', '--count', '2', '--runtime', 'process', '--devices', devices, '--disk', 'file',
      '--port', '0', '--admin-port', '0', '--binary-port', '0', '--size-scale', '0.0001', '--rate', '100/s', '--jitter', '0',
    ], { encoding: 'utf8', timeout: 120_000 });
    expect(up.stderr).toBe('');
    expect(up.status).toBe(0);
    expect(up.stdout).toMatch(/^supervisor pid \d+ · socket .*fleet\.sock · log .*supervisor\.log\n$/);
    const supervisorPid = (JSON.parse(readFileSync(join(home, 'run', 'supervisor.json'), 'utf8')) as { pid: number }).pid;
    strays.add(supervisorPid);

    await eventually(async () => {
      const ps = await vfleet('ps', '--json');
      return ps.code === 0 && (JSON.parse(ps.out) as Array<{ phase: string }>).every((d) => d.phase === 'online');
    });
    const table = await vfleet('ps');
    expect(table.out.split('\n')[0]).toMatch(/^DEVICE\s+RUN\s+PHASE\s+VERSION/);
    expect(table.out).toMatch(/EI-ML-0002\s+running\s+online\s+1\.1\.0/);
    expect((await vfleet('logs', 'EI-ML-0001')).out).toMatch(/\[Cloud Socket\] Joined Device channel/);

    expect((await vfleet('reboot', 'EI-ML-0001')).out).toBe('reboot: EI-ML-0001');
    await eventually(async () => {
      const ps = JSON.parse((await vfleet('ps', '--json')).out) as Array<{ id: string; boots: number; phase: string }>;
      return ps[0]?.boots === 2 && ps[0].phase === 'online';
    });

    const unknown = await vfleet('stop', 'NOPE-1');
    expect([unknown.code, unknown.err]).toEqual([1, expect.stringMatching(/^vfleet: no device NOPE-1 in this fleet/)]);
    expect((await vfleet('stop')).code).toBe(2);
    expect((await vfleet('logs', 'NOPE-1')).code).toBe(1);

    // the supervisor dies hard: its agents and pid files are what down must clean up
    const agents = readdirSync(join(home, 'run', 'process')).map((f) => (JSON.parse(readFileSync(join(home, 'run', 'process', f), 'utf8')) as { pid: number }).pid);
    expect(agents).toHaveLength(2);
    agents.forEach((p) => strays.add(p));
    process.kill(supervisorPid, 'SIGKILL');
    await eventually(() => !running(supervisorPid), 10_000);
    // (the kernel may still hand a connection to the dying process for a moment)
    await eventually(async () => /no fleet supervisor answers on .*fleet\.sock/.test((await vfleet('ps')).err), 10_000);
    const ps = await vfleet('ps');
    expect([ps.code, ps.err.split('\n').length]).toEqual([1, 1]);

    const down = await vfleet('down');
    expect(down.code).toBe(0);
    expect(down.out.split('\n')[0]).toBe('no supervisor was running');
    await eventually(() => agents.every((p) => !running(p)), 10_000);
    expect(readdirSync(join(home, 'run', 'process'))).toEqual([]);
    expect(existsSync(join(home, 'fleet.sock'))).toBe(false);
    expect(existsSync(join(home, 'run', 'supervisor.json'))).toBe(false);
    // and a new fleet starts on the same home afterwards
    expect((await vfleet('down')).out).toBe('no supervisor was running');
  }, 120_000);
});
