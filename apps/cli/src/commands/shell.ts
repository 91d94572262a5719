import type { Command } from 'commander';
import { VfleetError } from '@vfleet/core';
import { attachTerminal, openShell, terminalSize } from '@vfleet/simulator';
import { adminToken, adminUrlOption } from '../admin.js';

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
