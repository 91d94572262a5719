// The container/namespace runtimes' one way to run a tool (execa with cancel, timeout, forced kill
// and cleanup), plus the names and addresses they give what they make.
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { execa } from 'execa';
import { VfleetError } from '@vfleet/core';

export interface ToolOptions {
  signal?: AbortSignal;
  /** Whole-run limit (default 60 s). */
  timeoutMs?: number;
  input?: string | Buffer;
  env?: Record<string, string>;
}

export interface ToolOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a short tool to completion; never throws for a non-zero exit (the caller decides). */
export async function tool(file: string, args: readonly string[], opts: ToolOptions = {}): Promise<ToolOutput> {
  const r = await execa(file, args, {
    reject: false,
    timeout: opts.timeoutMs ?? 60_000,
    forceKillAfterDelay: 2_000,
    cleanup: true,
    stripFinalNewline: true,
    ...(opts.signal === undefined ? {} : { cancelSignal: opts.signal }),
    ...(opts.input === undefined ? { stdin: 'ignore' as const } : { input: opts.input }),
    ...(opts.env === undefined ? {} : { env: opts.env }),
  });
  if (r.failed && r.exitCode === undefined) {
    const why = r.code === 'ENOENT' ? `${file} is not installed (not on PATH)` : r.timedOut ? `${file} ${args[0] ?? ''} timed out` : String(r.shortMessage);
    throw new VfleetError('VFLEET_IO', why, { cause: r });
  }
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Like `tool`, but a tool that cannot run (missing, timed out) is a failed result too: for sweeps that must go on. */
export async function tryTool(file: string, args: readonly string[], opts: ToolOptions = {}): Promise<ToolOutput> {
  try {
    return await tool(file, args, opts);
  } catch (e) {
    return { code: -1, stdout: '', stderr: (e as Error).message };
  }
}

/** Like `tool`, but a non-zero exit is an error naming the command and its stderr. */
export async function mustTool(file: string, args: readonly string[], opts: ToolOptions = {}): Promise<string> {
  const r = await tool(file, args, opts);
  if (r.code !== 0) {
    throw new VfleetError('VFLEET_IO', `${file} ${args.join(' ')}: exit ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  }
  return r.stdout;
}

export interface LongChild {
  pid: number | undefined;
  /** Exit code, or the signal that ended it. */
  exit: Promise<{ code: number | null; signal: string | null }>;
  kill(signal: NodeJS.Signals): void;
}

/** A long-running child (an agent, `docker start -a`): non-empty lines to `onLine`, no timeout. */
export function spawnLong(
  file: string,
  args: readonly string[],
  opts: { env?: Record<string, string>; extendEnv?: boolean; onLine: (line: string, stream: 'stdout' | 'stderr') => void },
): LongChild {
  const child = execa(file, args, {
    reject: false,
    cleanup: true,
    buffer: false,
    stdin: 'ignore',
    extendEnv: opts.extendEnv ?? true,
    ...(opts.env === undefined ? {} : { env: opts.env }),
  });
  forwardLines(child.stdout, 'stdout', opts.onLine);
  forwardLines(child.stderr, 'stderr', opts.onLine);
  return {
    pid: child.pid,
    exit: child.then((r) => ({ code: r.exitCode ?? null, signal: r.signal ?? null })),
    kill: (signal) => {
      child.kill(signal);
    },
  };
}

/** Longest line passed on (the observer keeps 8 KiB of it); the rest of a longer line is dropped, never buffered. */
export const MAX_FORWARDED_LINE = 64 * 1024;

/**
 * Splits a child's output into non-empty lines (without the newline) for the observer. A line
 * longer than `maxLine` is passed on cut, as soon as it is that long, and the rest of it dropped: a
 * device printing without newlines must not grow this process's memory (or its CPU, re-splitting).
 */
export function forwardLines(
  stream: Readable | null,
  name: 'stdout' | 'stderr',
  onLine: (line: string, stream: 'stdout' | 'stderr') => void,
  maxLine = MAX_FORWARDED_LINE,
): void {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let dropping = false;
  const emit = (line: string): void => {
    const l = line.replace(/\r$/, '');
    if (l !== '') onLine(l, name);
  };
  const take = (text: string): void => {
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      if (!dropping) emit((rest + text.slice(start, nl)).slice(0, maxLine));
      rest = '';
      dropping = false;
      start = nl + 1;
    }
    if (dropping) return;
    rest += text.slice(start);
    if (rest.length >= maxLine) {
      emit(rest.slice(0, maxLine));
      rest = '';
      dropping = true;
    }
  };
  stream?.on('data', (chunk: Buffer) => take(decoder.write(chunk)));
  stream?.on('end', () => {
    take(decoder.end());
    if (!dropping && rest.trim() !== '') emit(rest);
    rest = '';
  });
}

/** Short stable hash of VFLEET_HOME: the `vfleet.home` label, so one home never touches another's. */
export function homeHash(home: string): string {
  return createHash('sha256').update(resolve(home)).digest('hex').slice(0, 12);
}

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;

/** Linux interface names are at most 15 bytes; refuse anything else before `ip` does it vaguely. */
export function interfaceName(prefix: string, index: number): string {
  const name = `${prefix}${index.toString(36)}`;
  if (!IFNAME.test(name)) throw new VfleetError('VFLEET_USAGE', `interface name ${JSON.stringify(name)}: at most 15 of [A-Za-z0-9_.-] (shorten the prefix ${JSON.stringify(prefix)})`);
  return name;
}

/** Address `index` (1-based host part) in a /16 given as its first two octets, e.g. "10.213". */
export function addressIn16(net16: string, index: number): string {
  if (!Number.isInteger(index) || index < 1 || index > 65_534) throw new VfleetError('VFLEET_USAGE', `host index ${index}: a /16 holds hosts 1..65534`);
  return `${net16}.${index >> 8}.${index & 255}`;
}

/** Names vfleet gives things are plain (device ids are validated elsewhere); anything else is refused. */
export function safeName(what: string, name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(name)) {
    throw new VfleetError('VFLEET_USAGE', `${what} ${JSON.stringify(name)}: expected 1-63 of [A-Za-z0-9_.-], starting with a letter or digit`);
  }
  return name;
}
