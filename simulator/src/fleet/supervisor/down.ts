import { existsSync, readFileSync, rmSync } from 'node:fs';
import { allRuntimes } from '../runtimes/index.js';
import type { CleanupReport, Runtime, RuntimeName, RuntimeOptions } from '../types.js';
import { connectFleet } from './client.js';
import { supervisorPaths, usedRuntimes } from './paths.js';
import type { SupervisorInfo } from './protocol.js';

export interface DownReport extends CleanupReport {
  /** How the supervisor ended: asked over the socket, signalled, or there was none. */
  supervisor: 'stopped' | 'signalled' | 'none';
}

const alive = (pid: number) => existsSync(`/proc/${pid}`);

function isSupervisor(pid: number, home: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.includes('up') && argv.includes(home);
  } catch {
    return false;
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (alive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  return !alive(pid);
}

/**
 * `vfleet down`: asks the supervisor to stop; then each runtime this home has used (run/runtimes.json,
 * written before a runtime makes anything; the process runtime always) removes what vfleet made for
 * this home, by its names, labels and pid files, even when no supervisor answered.
 */
export async function downFleet(
  home: string,
  opts: { runtimes?: Runtime[]; also?: RuntimeName[]; runtimeOptions?: Partial<RuntimeOptions>; graceMs?: number } = {},
): Promise<DownReport> {
  const paths = supervisorPaths(home);
  let supervisor: DownReport['supervisor'] = 'none';
  let record: SupervisorInfo | undefined;
  try {
    record = JSON.parse(readFileSync(paths.record, 'utf8')) as SupervisorInfo;
  } catch {
    record = undefined;
  }
  const errors: string[] = [];
  try {
    const remote = await connectFleet(home);
    await remote.shutdown();
    supervisor = 'stopped';
    if (record && !(await waitGone(record.pid, opts.graceMs ?? 60_000))) errors.push(`supervisor pid ${record.pid} still runs after shutdown`);
  } catch {
    // nobody answers: a supervisor that died (or hangs) left its record behind
    if (record && alive(record.pid) && isSupervisor(record.pid, home)) {
      process.kill(record.pid, 'SIGTERM');
      supervisor = 'signalled';
      if (!(await waitGone(record.pid, opts.graceMs ?? 30_000))) {
        process.kill(record.pid, 'SIGKILL');
        await waitGone(record.pid, 5000);
      }
    }
  }
  const report: DownReport = { supervisor, removed: [], errors };
  const wanted = new Set<RuntimeName>(['process', ...usedRuntimes(home), ...(opts.also ?? [])]);
  const runtimes = opts.runtimes ?? allRuntimes({ home, ...opts.runtimeOptions }).filter((r) => wanted.has(r.name));
  for (const runtime of runtimes) {
    try {
      const r = await runtime.cleanup();
      report.removed.push(...r.removed);
      report.errors.push(...r.errors.map((e) => `${runtime.name}: ${e}`));
    } catch (e) {
      report.errors.push(`${runtime.name}: cleanup failed: ${(e as Error).message}`);
    }
  }
  rmSync(paths.socket, { force: true });
  rmSync(paths.record, { force: true });
  if (report.errors.length === 0) rmSync(paths.runtimes, { force: true });
  return report;
}
