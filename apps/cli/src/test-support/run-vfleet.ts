// Tests run `vfleet` in their own process: the same `main` as the binary, with what it prints captured.
import { vi } from 'vitest';
import { main } from '../cli.js';

export interface VfleetRun {
  code: number;
  /** console.log lines, joined with newlines. */
  out: string;
  /** console.error lines and raw stderr writes, joined with `errSeparator` (default a newline). */
  err: string;
}

/** `vfleet --home <home> …argv`, in-process. */
export async function runVfleet(home: string, argv: readonly string[], opts: { errSeparator?: string } = {}): Promise<VfleetRun> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
  try {
    const code = await main(['--home', home, ...argv]);
    process.exitCode = undefined;
    return { code, out: out.join('\n'), err: err.join(opts.errSeparator ?? '\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    stderr.mockRestore();
  }
}
