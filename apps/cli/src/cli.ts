import { inspect } from 'node:util';
import { CommanderError } from 'commander';
import { isVfleetError } from '@vfleet/core';
import { printable } from './admin.js';
import { buildProgram } from './program.js';

/** Exit codes: 0 ok, 1 a user-facing failure, 2 usage error, 70 an internal bug. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    // messages quote servers, devices and files: their control characters are shown escaped, never sent to the terminal
    if (isVfleetError(e)) {
      console.error(`vfleet: ${printable(e.message, true)}`);
      return e.code === 'VFLEET_USAGE' ? 2 : 1;
    }
    // the machine refused an operation (no such file, permission, disk full): its message names the call and the path
    if (isSystemError(e)) {
      console.error(`vfleet: ${printable(e.message, true)}`);
      return 1;
    }
    console.error(printable(inspect(e, { colors: false }), true));
    return 70;
  }
}

/** An error from a system call (fs, net, child_process): a `code` such as ENOENT and the `syscall` that failed. */
function isSystemError(e: unknown): e is Error & { code: string; syscall: string } {
  if (!(e instanceof Error)) return false;
  const { code, syscall } = e as Error & { code?: unknown; syscall?: unknown };
  // ERR_FS_*: Node's own file-system refusals (a directory where a file should be), which name the path too
  return typeof code === 'string' && ((/^E[A-Z0-9]+$/.test(code) && typeof syscall === 'string') || code.startsWith('ERR_FS_'));
}

