import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { VfleetError } from '@vfleet/core';
import { attachTerminal, openShell, resolveHome, terminalSize } from '@vfleet/simulator';
import { adminUrlOption } from '../admin.js';

/** The admin token as `adminFrom` finds it: $VFLEET_ADMIN_TOKEN, else the workspace's admin-token file. */
function adminToken(program: Command): string {
  const file = join(resolveHome(program.opts<{ home?: string }>().home), 'admin-token');
  try {
    return (process.env['VFLEET_ADMIN_TOKEN'] ?? readFileSync(file, 'utf8')).trim();
  } catch (cause) {
    throw new VfleetError('VFLEET_WORKSPACE', `${file}: no admin token (start \`vfleet backend\` once, or set VFLEET_ADMIN_TOKEN)`, { cause });
  }
}

export function registerShell(program: Command): void {
  program
    .command('shell')
    .description('a login shell on a device through the backend\'s console channel (detach: Ctrl-] or ~. after Enter)')
    .argument('<device>', 'device identifier (EI-ML-0001), UUID or PRN')
    .option('--takeover', 'take the console over from a session already attached to it')
    .option(...adminUrlOption)
    .action(async (device: string, flags: { takeover?: boolean; adminUrl: string }) => {
      const size = terminalSize(process.stdout);
      const session = await openShell({
        adminUrl: flags.adminUrl,
        token: adminToken(program),
        device,
        takeover: flags.takeover === true,
        ...(size === undefined ? {} : { size }),
      });
      process.stderr.write(`Connected to the console of ${device}: press Enter for a prompt; Ctrl-] or ~. after Enter detaches.\r\n`);
      const end = await attachTerminal(session);
      process.stderr.write('\r\n');
      if (end.reason !== 'detached') throw new VfleetError('VFLEET_IO', end.message);
      process.stderr.write(`Connection to ${device} closed.\n`);
    });
}
