// Attaches a console session to a terminal: raw mode, resize, escapes; the terminal is restored on every exit path.
import { StringDecoder } from 'node:string_decoder';
import { createEscapeFilter } from './shell-escape.js';
import type { ShellEnd, ShellSession } from './shell-client.js';

export interface TerminalIn extends NodeJS.EventEmitter {
  isTTY?: boolean;
  setRawMode?: (mode: boolean) => unknown;
  isRaw?: boolean;
  resume(): unknown;
  pause(): unknown;
}

export interface TerminalOut extends NodeJS.EventEmitter {
  isTTY?: boolean;
  columns?: number;
  rows?: number;
  write(data: string): unknown;
}

export interface AttachOptions {
  stdin?: TerminalIn;
  stdout?: TerminalOut;
  /** Piped input: detach once input ended and the device was quiet this long (default 1 s). */
  quietAfterEndMs?: number;
}

const SIGNALS = ['SIGTERM', 'SIGHUP', 'SIGINT'] as const;

/** Terminal size of `out`, or undefined when it is not a terminal. */
export function terminalSize(out: TerminalOut): { cols: number; rows: number } | undefined {
  return out.isTTY === true && out.columns && out.rows ? { cols: out.columns, rows: out.rows } : undefined;
}

/**
 * Runs `session` on the terminal until it ends: keystrokes go to the device (Ctrl-] or `~.` after a
 * newline detach), output to stdout, terminal resizes (SIGWINCH) become window_size. Resolves with
 * how the session ended, after the terminal mode and every listener have been put back.
 */
export async function attachTerminal(session: ShellSession, options: AttachOptions = {}): Promise<ShellEnd> {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const quietMs = options.quietAfterEndMs ?? 1000;
  const raw = stdin.isTTY === true && typeof stdin.setRawMode === 'function';
  const wasRaw = stdin.isRaw === true;
  const decoder = new StringDecoder('utf8');
  const escape = createEscapeFilter();
  let quiet: NodeJS.Timeout | undefined;

  const restore = (): void => {
    if (raw) stdin.setRawMode?.(wasRaw);
  };
  const onInput = (chunk: Buffer | string): void => {
    const { forward, detach } = escape(typeof chunk === 'string' ? chunk : decoder.write(chunk));
    if (forward !== '') session.write(forward);
    if (detach) session.close();
  };
  const onEnd = (): void => {
    quiet = setTimeout(() => session.close(), quietMs);
  };
  const onResize = (): void => {
    const size = terminalSize(stdout);
    if (size) session.resize(size.cols, size.rows);
  };
  const onSignal = (): void => session.close();
  const offOutput = session.onOutput((data) => {
    quiet?.refresh();
    stdout.write(data);
  });

  try {
    if (raw) stdin.setRawMode?.(true);
    process.once('exit', restore);
    for (const s of SIGNALS) process.on(s, onSignal);
    stdin.on('data', onInput);
    stdin.on('end', onEnd);
    stdout.on('resize', onResize);
    stdin.resume();
    return await session.ended;
  } finally {
    clearTimeout(quiet);
    offOutput();
    stdin.off('data', onInput);
    stdin.off('end', onEnd);
    stdout.off('resize', onResize);
    for (const s of SIGNALS) process.off(s, onSignal);
    process.off('exit', restore);
    restore();
    stdin.pause();
  }
}
