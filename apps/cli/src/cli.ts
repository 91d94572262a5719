import { CommanderError } from 'commander';
import { isVfleetError } from '@vfleet/core';
import { buildProgram } from './program.js';

/** Exit codes: 0 ok, 1 a user-facing failure, 2 usage error, 70 an internal bug. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (isVfleetError(e)) {
      console.error(`vfleet: ${e.message}`);
      return e.code === 'VFLEET_USAGE' ? 2 : 1;
    }
    console.error(e);
    return 70;
  }
}

