import { Command } from 'commander';
import { registerDevices } from './commands/devices.js';
import { registerInit } from './commands/init.js';
import { registerBackend } from './commands/backend.js';
import { registerReleases } from './commands/releases.js';
import { registerDemo } from './commands/demo.js';
import { registerFwup } from './commands/fwup.js';
import { registerFleet } from './commands/fleet.js';
import { registerLoad } from './commands/load.js';
import { registerImage } from './commands/image.js';
import { registerTunnel } from './commands/tunnel.js';
import { registerShell } from './commands/shell.js';
import { registerUi } from './commands/ui.js';

/** The `vfleet` command tree; main.ts runs it and maps errors to exit codes. */
export function buildProgram(): Command {
  const program = new Command('vfleet')
    .description('virtual device fleet simulator for Peridio')
    .option('--home <dir>', 'workspace folder (default $VFLEET_HOME or ./.vfleet)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerInit(program);
  registerDevices(program);
  registerBackend(program);
  registerReleases(program);
  registerDemo(program);
  registerFwup(program);
  registerFleet(program);
  registerLoad(program);
  registerImage(program);
  registerTunnel(program);
  registerShell(program);
  registerUi(program);
  return program;
}
