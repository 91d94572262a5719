// The process runtime against an agent that leaves programs running: a stand-in agent starts a
// program in a process group of its own, as the real one runs its tools, and says its pid.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningDevice } from '../types.js';
import { createProcessRuntime } from './process.js';

const root = mkdtempSync(join(tmpdir(), 'vft-proc-hostile-'));
const started: number[] = [];

afterAll(() => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  }
  rmSync(root, { recursive: true, force: true });
});

/** Whether `pid` is a live process (a zombie is not). */
const living = (pid: number) => existsSync(`/proc/${pid}`) && !/^\d+ \(.*\) Z /s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
/** Whether `pid` is still living after up to 2 s (a signalled process takes a moment to end). */
async function livesOn(pid: number): Promise<boolean> {
  for (const end = Date.now() + 2_000; living(pid) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
  return living(pid);
}

const agent = join(root, 'agent.cjs');
writeFileSync(agent, `const { spawn } = require('node:child_process');
process.on('SIGTERM', () => { if (process.env.IGNORE_TERM !== '1') process.exit(0); });
const tool = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
// like the real agent: its tools' groups end with an orderly exit
process.on('exit', () => { try { process.kill(-tool.pid, 'SIGKILL'); } catch {} });
setInterval(() => {}, 1000);
console.log('tool ' + tool.pid);
`);

async function startAgent(id: string, env: Record<string, string> = {}): Promise<{ dev: RunningDevice; tool: number }> {
  const dir = join(root, 'devices', id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'peridio.json'), '{}');
  const runtime = createProcessRuntime({ home: join(root, 'home'), agentEntry: agent });
  let tool: number | undefined;
  const dev = await runtime.start({ id, deviceDir: dir, env, onLine: (l) => { tool = Number(/^tool (\d+)$/.exec(l)?.[1] ?? tool); } });
  for (const end = Date.now() + 10_000; tool === undefined && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
  if (tool === undefined) throw new Error(`${id}: the stand-in agent never said its tool's pid`);
  started.push(tool);
  return { dev, tool };
}

describe.runIf(process.platform === 'linux')('process runtime: what an agent leaves running', () => {
  it('kill ends the programs the agent started, not only the agent', async () => {
    const { dev, tool } = await startAgent('PH-1');
    expect(living(tool)).toBe(true);
    await dev.kill();
    expect(await dev.exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await livesOn(tool)).toBe(false);
  });

  it('a stop that runs out of grace ends them too', async () => {
    const { dev, tool } = await startAgent('PH-2', { IGNORE_TERM: '1' });
    await dev.stop(300);
    expect(await dev.exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await livesOn(tool)).toBe(false);
  });

  it('an orderly stop leaves it to the agent, which ends them', async () => {
    const { dev, tool } = await startAgent('PH-3');
    await dev.stop(5_000);
    expect(await dev.exit).toEqual({ code: 0, signal: null });
    expect(await livesOn(tool)).toBe(false);
  });
});
