import { resolve } from 'node:path';
import type { Command } from 'commander';
import { VfleetError } from '@vfleet/core';
import { connectFleet, listDevices, resolveHome, startSupervisor, type RemoteFleet } from '@vfleet/simulator';
import { intFlag } from '../flags.js';
import { reconnectingFleet } from './reconnecting-fleet.js';
import { loadTui, refreshFlag, tuiServices } from './tui-services.js';

interface UiFlags {
  refresh: number;
  devices: string;
  count?: number;
  port: number;
  adminPort: number;
  binaryPort: number;
}

export function registerUi(program: Command): void {
  // on a terminal, plain `vfleet` opens the dashboard; scripts still get the help
  program
    .command('ui', { isDefault: process.stdout.isTTY === true && process.stdin.isTTY === true })
    .description('the dashboard: attaches to the running fleet supervisor (vfleet up -d), else runs a fleet in this process')
    .option('--refresh <duration>', 'redraw at most this often (1s, 500ms)', refreshFlag, 1000)
    .option('--devices <dir>', 'folder of device directories (when no supervisor runs)', 'devices')
    .option('--count <n>', 'run EI-ML-0001 … EI-ML-<n> (when no supervisor runs; default: the folder, or the EVK six)', intFlag('--count', 1, 100_000))
    .option('--port <n>', 'embedded device API port (when no supervisor runs)', intFlag('--port', 0, 65535), 4443)
    .option('--admin-port <n>', 'embedded admin API port', intFlag('--admin-port', 0, 65535), 4000)
    .option('--binary-port <n>', 'embedded binary download port', intFlag('--binary-port', 0, 65535), 4080)
    .action(async (flags: UiFlags) => {
      if (!process.stdout.isTTY || !process.stdin.isTTY) {
        throw new VfleetError('VFLEET_USAGE', 'vfleet ui needs a terminal (stdin and stdout); on a pipe use vfleet ps, vfleet logs ID -f or vfleet demo --plain');
      }
      const home = resolveHome(program.opts<{ home?: string }>().home);
      const controller = new AbortController();
      const abort = () => controller.abort();
      process.once('SIGTERM', abort);
      const { runTui } = await loadTui();
      let remote: RemoteFleet | undefined;
      try {
        remote = await connectFleet(home);
      } catch {
        remote = undefined; // no supervisor: run one here
      }
      try {
        if (remote) {
          const fleet = reconnectingFleet(remote, () => connectFleet(home));
          const services = await tuiServices({ fleet, devicesDir: remote.info.devicesDir });
          await runTui({ ...services, fleet, title: `vfleet (pid ${remote.info.pid})`, refreshMs: flags.refresh, signal: controller.signal });
          await fleet.close();
          return;
        }
        const devicesDir = resolve(flags.devices);
        const evk = flags.count === undefined && listDevices(devicesDir).length === 0;
        const supervisor = await startSupervisor({
          home,
          devicesDir,
          runtime: 'auto',
          ...(flags.count === undefined ? {} : { count: flags.count }),
          ...(evk ? { evk: true } : {}),
          ports: { device: flags.port, admin: flags.adminPort, binary: flags.binaryPort },
          say: (l) => console.log(l),
        });
        try {
          const services = await tuiServices({ fleet: supervisor.fleet, devicesDir, ...(supervisor.backend ? { faultTable: supervisor.backend.faults } : {}) });
          await runTui({ ...services, fleet: supervisor.fleet, title: 'vfleet', refreshMs: flags.refresh, ownsFleet: true, signal: controller.signal });
        } finally {
          await supervisor.stop();
        }
      } finally {
        process.off('SIGTERM', abort);
      }
    });
}
