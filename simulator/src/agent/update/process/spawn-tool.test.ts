import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnTool, type ToolResult } from './spawn-tool.js';

// Fake tools are sh scripts that write their own pid (= their process group) to `group` and the pid
// of what they leave behind to `daemon`, so every test can check and clean up exactly those.
let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vfleet-spawn-tool-'));
});
afterEach(() => {
  for (const name of ['group', 'daemon']) {
    const pid = pidIn(name);
    if (pid === undefined) continue;
    for (const target of name === 'group' ? [-pid, pid] : [pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

function pidIn(name: string): number | undefined {
  const path = join(dir, name);
  if (!existsSync(path)) return undefined;
  const pid = Number(readFileSync(path, 'utf8').trim());
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
}

/** A tool that records its group, starts `sleep 40` holding its stdout/stderr, then runs `then`. */
function tool(then: string, prelude = ''): string {
  const path = join(dir, 'tool');
  writeFileSync(path, `#!/bin/sh\n${prelude}\necho $$ > ${dir}/group\nsleep 40 &\necho $! > ${dir}/daemon\necho "installed"\necho "warned" >&2\n${then}\n`, { mode: 0o755 });
  return path;
}

/** Running and not a zombie (a reparented zombie may wait for a reaper that never comes). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitFor(what: string, check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The outcome within `ms`, or a failure naming the hang (the old spawnTool never settled). */
function settleWithin(run: Promise<ToolResult>, ms = 3000): Promise<ToolResult> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`spawnTool still pending after ${ms} ms`)), ms);
  });
  return Promise.race([run, hang]).finally(() => clearTimeout(timer));
}

describe.skipIf(process.platform !== 'linux')('spawnTool', () => {
  it('settles when the tool exits though something it started still holds its output, and leaves that running', async () => {
    const started = Date.now();
    const result = await settleWithin(spawnTool(tool('exit 0'), [], { signal: new AbortController().signal }));
    expect(result.code).toBe(0);
    expect(result.signal).toBeNull();
    expect(result.output).toContain('installed');
    expect(result.output).toContain('warned');
    expect(Date.now() - started).toBeLessThan(2000);
    const daemon = pidIn('daemon');
    expect(daemon).toBeDefined();
    expect(running(daemon ?? 0)).toBe(true);
  });

  it('keeps what the tool started alive when it writes to the inherited output after the result settled', async () => {
    // the daemon writes once the drain is over; with its pipes closed that write was SIGPIPE and the daemon died
    const path = join(dir, 'tool');
    writeFileSync(path, `#!/bin/sh\necho $$ > ${dir}/group\n(sleep 0.6; echo "daemon still logging"; echo "daemon still logging" >&2; echo written > ${dir}/wrote; exec sleep 40) &\necho $! > ${dir}/daemon\necho "installed"\n`, { mode: 0o755 });
    const result = await settleWithin(spawnTool(path, [], { signal: new AbortController().signal }));
    expect(result).toMatchObject({ code: 0, signal: null });
    expect(result.output).toBe('installed\n');
    const daemon = pidIn('daemon') ?? 0;
    await waitFor('the daemon to write after the result settled', () => existsSync(join(dir, 'wrote')) || !running(daemon));
    expect(readFileSync(join(dir, 'wrote'), 'utf8')).toBe('written\n');
    expect(running(daemon)).toBe(true);
  });

  it('passes the exit code and output of a failing tool through', async () => {
    const result = await settleWithin(spawnTool(tool('echo "no such package" >&2; exit 3'), [], { signal: new AbortController().signal }));
    expect(result.code).toBe(3);
    expect(result.output).toContain('no such package');
  });

  it('on abort, rejects with the reason and stops the tool and what it started', async () => {
    const controller = new AbortController();
    const run = spawnTool(tool('wait'), [], { signal: controller.signal });
    await waitFor('the daemon pid', () => pidIn('daemon') !== undefined);
    const reason = new Error('agent stopping');
    controller.abort(reason);
    await expect(settleWithin(run)).rejects.toBe(reason);
    const group = pidIn('group') ?? 0;
    const daemon = pidIn('daemon') ?? 0;
    await waitFor('the tool and its daemon to end', () => !running(group) && !running(daemon));
  });

  it('on timeout, SIGTERMs the group and then SIGKILLs it after killAfterMs', async () => {
    // SIGTERM ignored by the tool and, inherited through exec, by its daemon
    const run = spawnTool(tool('wait', "trap '' TERM"), [], { signal: new AbortController().signal, timeoutMs: 300, killAfterMs: 300 });
    const result = await settleWithin(run);
    expect(result).toMatchObject({ code: null, signal: 'SIGKILL' });
    expect(result.output).toContain('installed');
    const daemon = pidIn('daemon') ?? 0;
    await waitFor('the daemon to end', () => !running(daemon));
  });

  it('kills the running tool and what it started when the agent process exits', async () => {
    const bundle = join(dir, 'spawn-tool.mjs');
    await build({
      entryPoints: [fileURLToPath(new URL('./spawn-tool.ts', import.meta.url))],
      bundle: true, platform: 'node', format: 'esm', conditions: ['source'], outfile: bundle, logLevel: 'silent',
    });
    const agent = join(dir, 'agent.mjs');
    writeFileSync(agent, [
      `import { existsSync } from 'node:fs';`,
      `import { spawnTool } from ${JSON.stringify(bundle)};`,
      `void spawnTool(${JSON.stringify(tool('wait'))}, [], { signal: new AbortController().signal });`,
      `const ready = setInterval(() => { if (existsSync(${JSON.stringify(join(dir, 'daemon'))})) { clearInterval(ready); process.exit(0); } }, 10);`,
    ].join('\n'));
    await promisify(execFile)(process.execPath, [agent], { timeout: 10_000 });
    const group = pidIn('group') ?? 0;
    const daemon = pidIn('daemon') ?? 0;
    expect(group).toBeGreaterThan(1);
    await waitFor('the tool and its daemon to end', () => !running(group) && !running(daemon));
  });

  it('rejects with VFLEET_IO when the program cannot start', async () => {
    await expect(spawnTool(join(dir, 'missing'), [], { signal: new AbortController().signal })).rejects.toMatchObject({
      code: 'VFLEET_IO', message: expect.stringContaining('cannot run') as unknown,
    });
  });
});
