import type * as ChildProcess from 'node:child_process';
import { createRequire } from 'node:module';
import { VfleetError } from '@vfleet/core';

// Loaded at the first run: most agents never run a program, and loading node:child_process at
// every vfleet-agent start cost 1-2 ms of CPU. Synchronously (process.getBuiltinModule from node
// 20.16, else a require), never import(): the bundled vfleet-agent runs as a vm.Script (for its code
// cache), where import() is refused.
let childProcess: typeof ChildProcess | undefined;

export interface ToolRun {
  cwd?: string;
  env?: Readonly<Record<string, string>>;
  signal: AbortSignal;
  /** Whole-run limit; the process group gets SIGTERM, then SIGKILL after `killAfterMs`. */
  timeoutMs?: number;
  killAfterMs?: number;
}

export interface ToolResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last few KiB of stdout and stderr, interleaved. */
  output: string;
}

const OUTPUT_TAIL = 4096;
/** How long output may still arrive after the tool exits, before the result settles without it. */
const DRAIN_MS = 200;

/** Process groups that are running a tool or were told to stop; SIGKILLed if the agent exits. */
const liveGroups = new Set<number>();
let exitHook = false;

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

/**
 * Once the result has settled, what the tool started may still hold its stdout/stderr (a service a
 * post-install started). Closing the pipes would kill it with SIGPIPE at its next write, so they
 * are read and dropped until it closes them; unref'd, they never keep the agent alive.
 */
function release(stream: NodeJS.ReadableStream & { unref?: () => void }, keep: (chunk: Buffer) => void): void {
  stream.removeListener('data', keep);
  stream.on('data', () => undefined);
  stream.on('error', () => undefined);
  stream.unref?.();
}

/**
 * The agent's one way to run a program: no shell, bounded output, in its own process group, which
 * abort, timeout and the agent's exit kill. It settles when the program exits, even if something
 * it started still holds its stdout/stderr (whose later output is dropped, see `release`).
 */
export function spawnTool(command: string, args: readonly string[], run: ToolRun): Promise<ToolResult> {
  childProcess ??= typeof process.getBuiltinModule === 'function'
    ? process.getBuiltinModule('node:child_process')
    : (createRequire('/')('node:child_process') as typeof ChildProcess);
  const { spawn } = childProcess;
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const pid of liveGroups) signalGroup(pid, 'SIGKILL');
    });
  }
  return new Promise((resolve, reject) => {
    if (run.signal.aborted) {
      reject(run.signal.reason as Error);
      return;
    }
    const child = spawn(command, args, {
      cwd: run.cwd,
      env: run.env === undefined ? process.env : { ...process.env, ...run.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // a group of its own (setsid), so a stop reaches what the tool started too
      detached: true,
    });
    const pid = child.pid;
    if (pid !== undefined) liveGroups.add(pid);
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let killTimer: NodeJS.Timeout | undefined;
    const terminate = (): void => {
      if (pid === undefined || killTimer !== undefined) return;
      signalGroup(pid, 'SIGTERM');
      killTimer = setTimeout(() => {
        signalGroup(pid, 'SIGKILL');
        liveGroups.delete(pid);
      }, run.killAfterMs ?? 5000);
      // outlives the tool itself, for group members that ignore SIGTERM, without holding the agent
      killTimer.unref();
    };
    const timeout = run.timeoutMs === undefined ? undefined : setTimeout(terminate, run.timeoutMs);
    run.signal.addEventListener('abort', terminate, { once: true });
    const toolEnded = (): void => {
      clearTimeout(timeout);
      run.signal.removeEventListener('abort', terminate);
      // Left running after a normal exit, as a service its post-install started would be on a device.
      if (pid !== undefined && killTimer === undefined) liveGroups.delete(pid);
    };
    let settled = false;
    let drain: NodeJS.Timeout | undefined;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const finish = (): void => {
      if (settled || exit === undefined) return;
      settled = true;
      clearTimeout(drain);
      if (run.signal.aborted) reject(run.signal.reason as Error);
      else resolve({ ...exit, output });
    };
    child.on('error', (cause) => {
      if (settled) return;
      settled = true;
      toolEnded();
      reject(new VfleetError('VFLEET_IO', `${command}: cannot run: ${cause.message}`, { cause }));
    });
    child.on('exit', (code, signal) => {
      toolEnded();
      exit = { code, signal };
      drain = setTimeout(() => {
        release(child.stdout, keep);
        release(child.stderr, keep);
        finish();
      }, DRAIN_MS);
    });
    // all pipes closed after the exit: nothing else holds them, the output is complete
    child.on('close', finish);
  });
}
