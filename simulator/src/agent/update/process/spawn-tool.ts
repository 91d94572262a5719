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
  /** Whole-run limit; the process gets SIGTERM, then SIGKILL after `killAfterMs`. */
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

/** The agent's one way to run a program: no shell, bounded output, killed on abort or timeout. */
export function spawnTool(command: string, args: readonly string[], run: ToolRun): Promise<ToolResult> {
  childProcess ??= typeof process.getBuiltinModule === 'function'
    ? process.getBuiltinModule('node:child_process')
    : (createRequire('/')('node:child_process') as typeof ChildProcess);
  const { spawn } = childProcess;
  return new Promise((resolve, reject) => {
    if (run.signal.aborted) {
      reject(run.signal.reason as Error);
      return;
    }
    const child = spawn(command, args, {
      cwd: run.cwd,
      env: run.env === undefined ? process.env : { ...process.env, ...run.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let killTimer: NodeJS.Timeout | undefined;
    const terminate = (): void => {
      child.kill('SIGTERM');
      killTimer ??= setTimeout(() => child.kill('SIGKILL'), run.killAfterMs ?? 5000);
    };
    const timeout = run.timeoutMs === undefined ? undefined : setTimeout(terminate, run.timeoutMs);
    run.signal.addEventListener('abort', terminate, { once: true });
    const done = (): void => {
      clearTimeout(timeout);
      clearTimeout(killTimer);
      run.signal.removeEventListener('abort', terminate);
    };
    child.on('error', (cause) => {
      done();
      reject(new VfleetError('VFLEET_IO', `${command}: cannot run: ${cause.message}`, { cause }));
    });
    child.on('close', (code, signal) => {
      done();
      if (run.signal.aborted) reject(run.signal.reason as Error);
      else resolve({ code, signal, output });
    });
  });
}
