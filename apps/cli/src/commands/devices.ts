import type { Command } from 'commander';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import {
  checkTags,
  checkTarget,
  deviceIds,
  evkSpecs,
  findDamagedDevices,
  generateDevices,
  holdDeviceFolder,
  initWorkspace,
  leftForUser,
  loadProduct,
  removeDevicesWithReport,
  resolveHome,
  scanDevices,
  type DamagedDevice,
  type DeviceSpec,
  type EnvMode,
} from '@vfleet/simulator';
import { VfleetError } from '@vfleet/core';
import { choiceFlag, hostPortFlag, intFlag, listFlag, sizeFlag } from '../flags.js';
import { adminFrom, adminUrlOption, printable, table } from '../admin.js';
import { useGenerationTiering } from '../v8-tuning.js';

interface CreateFlags {
  count?: number;
  prefix: string;
  start: number;
  cohort?: string;
  tags: string[];
  target: string;
  deviceApi?: string;
  deviceApiCa?: string;
  env: EnvMode;
  diskSize: number;
  out: string;
  force?: boolean;
  evk?: boolean;
  json?: boolean;
}

export function registerDevices(program: Command): void {
  const devices = program.command('devices').description('generate, list and remove device directories');
  const home = () => resolveHome(program.opts<{ home?: string }>().home);

  devices
    .command('create')
    .description('write EVK-compatible device directories (identity, peridio.json, uboot.env, disk.img)')
    .option('--count <n>', 'number of devices', intFlag('--count', 1, 100_000))
    .option('--prefix <prefix>', 'device id prefix', 'EI-ML')
    .option('--start <n>', 'first device number', intFlag('--start', 0, 99_999_999), 1)
    .option('--cohort <name>', 'cohort whose intermediate CA signs the devices')
    .option('--tags <list>', 'comma-separated tags', (value: string) => [...checkTags(listFlag(value), '--tags')], [] as string[])
    .option('--target <target>', 'device target', (value: string) => checkTarget(value, '--target'), 'arm64-v8')
    .option('--device-api <host[:port]>', 'device API the agents talk to (default: Peridio cloud)', hostPortFlag('--device-api'))
    .option('--device-api-ca <file>', 'CA certificate that verifies the device API server')
    .option('--env <mode>', 'U-Boot env in a file (uboot.env) or a redundant pair inside disk.img', choiceFlag('--env', ['file', 'disk'] as const), 'file')
    .option('--disk-size <size>', 'sparse A/B disk image size (0 = none)', sizeFlag('--disk-size'), 256 * 1024 * 1024)
    .option('--out <dir>', 'output folder', 'devices')
    .option('--force', 'replace devices that already exist')
    .option('--evk', "the EVK's six devices (ids, tags, targets) from the product definition")
    .option('--json', 'print the outcome as JSON (counts, failures, seconds, CPU)')
    .action(async (flags: CreateFlags) => {
      const h = home();
      const init = initWorkspace({ home: h });
      // with --json, stdout holds only the outcome
      if (init.created.length > 0) (flags.json ? console.error : console.log)(`initialised workspace ${h}`);
      const product = loadProduct(init.manifest.product);
      const cohort = flags.cohort ?? product.deviceCohort;
      let specs: DeviceSpec[];
      if (flags.evk) {
        if (flags.count !== undefined) throw new VfleetError('VFLEET_USAGE', '--evk makes the EVK six devices; drop --count');
        specs = evkSpecs(product);
      } else {
        if (flags.count === undefined) throw new VfleetError('VFLEET_USAGE', 'devices create: --count <n> or --evk is required');
        specs = deviceIds(flags.prefix, flags.start, flags.count).map((id) => ({ id, cohort, tags: flags.tags, target: flags.target }));
      }
      const out = resolve(flags.out);
      // replacing a device a running fleet uses would swap its identity and state under its agent
      const lock = flags.force ? holdDeviceFolder(out, 'vfleet devices create --force') : undefined;
      // this process runs one generation and exits
      useGenerationTiering();
      const cpu = process.cpuUsage();
      const started = performance.now();
      let result;
      try {
        result = await generateDevices({
          home: h,
          out,
          cohort,
          env: flags.env,
          diskBytes: flags.diskSize,
          force: flags.force ?? false,
          specs,
          ...(flags.deviceApi === undefined ? {} : { deviceApi: flags.deviceApi }),
          ...(flags.deviceApiCa === undefined ? {} : { deviceApiCa: resolve(flags.deviceApiCa) }),
        });
      } finally {
        lock?.release();
      }
      const seconds = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      const made = result.created.length + result.replaced.length;
      if (flags.json) {
        console.log(JSON.stringify({
          out,
          created: result.created.length,
          replaced: result.replaced.length,
          skipped: result.skipped.length,
          failed: result.failed,
          seconds: +seconds.toFixed(3),
          devicesPerSecond: made > 0 ? Math.round(made / seconds) : 0,
          // every thread of this process over the generation: user and system CPU seconds
          cpuSeconds: { user: +(used.user / 1e6).toFixed(3), system: +(used.system / 1e6).toFixed(3) },
        }));
      } else {
        console.log(
          `${out}: ${result.created.length} created, ${result.replaced.length} replaced, ${result.skipped.length} already there (use --force to replace)` +
            `, ${result.failed.length} failed in ${seconds.toFixed(2)} s` +
            (made > 0 ? ` (${Math.round(made / seconds)} devices/s)` : ''),
        );
      }
      printFailures(result.failed);
      // a damaged device is skipped like a good one: say why it is not in the fleet
      if (result.skipped.length > 0) printDamaged('skipped', findDamagedDevices(out, result.skipped));
      if (result.failed.length > 0) process.exitCode = 1;
    });

  devices
    .command('list')
    .description('list generated device directories, or (--server) the devices a running backend knows')
    .option('--out <dir>', 'device folder', 'devices')
    .option('--json', 'print JSON')
    .option('--server', 'list the backend\'s devices: last seen, reported release, online')
    .option(...adminUrlOption)
    .action(async (flags: { out: string; json?: boolean; server?: boolean; adminUrl: string }) => {
      if (flags.server) {
        const { devices: rows } = await adminFrom(program, flags).call<{ devices: Array<Record<string, unknown>> }>('GET', '/api/v1/devices');
        if (flags.json) {
          console.log(JSON.stringify(rows, null, 2));
          return;
        }
        table(['ID', 'TAGS', 'ORIGIN', 'ONLINE', 'VERSION', 'LAST SEEN'], rows.map((d) => [
          d['identifier'] as string, (d['tags'] as string[]).join(','), d['origin'] as string, d['online'] ? 'yes' : 'no',
          d['reported_version'] as string | null, d['last_seen_at'] as string | null,
        ]));
        return;
      }
      const { devices: listed, damaged } = scanDevices(resolve(flags.out), { withUsage: true });
      if (flags.json) {
        // stdout stays the array of devices scripts parse; the damaged ones go to stderr as below
        console.log(JSON.stringify(listed.map((d) => ({ ...d.meta, dir: d.dir, allocatedBytes: d.allocatedBytes })), null, 2));
      } else if (listed.length === 0) {
        console.log(`no devices in ${resolve(flags.out)}`);
      } else {
        table(['ID', 'COHORT', 'TAGS', 'TARGET', 'ENV', 'DISK'], listed.map(({ meta: m }) => [
          m.id, m.cohort, m.tags.join(','), m.target, m.env, `${Math.round(m.diskBytes / 1048576)}M`,
        ]));
      }
      printDamaged('not listed', damaged);
    });

  devices
    .command('rm')
    .description('remove device directories made by vfleet')
    .argument('[ids...]', 'device ids')
    .option('--all', 'remove every vfleet device in the folder')
    .option('--out <dir>', 'device folder', 'devices')
    .action((ids: string[], flags: { out: string; all?: boolean }) => {
      if (!flags.all && ids.length === 0) throw new VfleetError('VFLEET_USAGE', 'devices rm: name device ids or use --all');
      const out = resolve(flags.out);
      if (!existsSync(out)) throw new VfleetError('VFLEET_USAGE', `--out ${out}: no such folder`);
      // a running fleet's devices are removed through the fleet, never from under it
      const { removed, left } = removeDevicesWithReport(out, flags.all ? 'all' : ids, { lockAs: 'vfleet devices rm' });
      console.log(`removed ${removed.length} device(s) from ${out}`);
      for (const d of left) console.error(`vfleet: not removed: ${printable(leftForUser(d))}`);
    });
}

/** One line per folder whose vfleet.json vfleet cannot use: what is wrong, and what the user can do. */
function printDamaged(what: string, damaged: DamagedDevice[]): void {
  for (const d of damaged) {
    const line = d.ours
      ? `${d.problem}; vfleet made it: \`vfleet devices rm ${d.name}\` removes it, \`vfleet devices create --force\` with its id replaces it`
      : leftForUser(d);
    console.error(`vfleet: ${what}: ${printable(line)}`);
  }
}

/** One line per distinct error: a full disk fails every device the same way, and says so once. */
function printFailures(failed: Array<{ id: string; error: string }>): void {
  const byError = new Map<string, string[]>();
  for (const f of failed) {
    const ids = byError.get(f.error);
    if (ids === undefined) byError.set(f.error, [f.id]);
    else ids.push(f.id);
  }
  for (const [error, ids] of byError) {
    const who = ids.length === 1 ? ids[0] : `${ids[0]} and ${ids.length - 1} more`;
    console.error(`vfleet: ${printable(`${who}: ${error}`)}`);
  }
}
