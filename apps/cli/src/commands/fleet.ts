import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { VfleetError } from '@vfleet/core';
import {
  connectFleet,
  parseDuration,
  parseRate,
  downFleet,
  resolveHome,
  RUNTIME_NAMES,
  startSupervisor,
  supervisorPaths,
  type DeviceSelector,
  type DeviceStatus,
  type RemoteFleet,
  type RuntimeName,
} from '@vfleet/simulator';
import { choiceFlag, hostPortFlag, intFlag } from '../flags.js';

const RUNTIMES = ['auto', ...RUNTIME_NAMES] as const;

/** `10/s`, `600/m`, `10`, `0.5/s` → devices per second (a bare number is per second). */
export function rateFlag(value: string): number {
  const v = value.trim();
  const n = /^\d+(\.\d+)?$/.test(v) ? Number(v) : parseRate(v);
  if (n === undefined || !(n > 0)) throw new VfleetError('VFLEET_USAGE', `--rate ${JSON.stringify(value)}: expected devices per second, e.g. 10/s, 0.5/s or 600/m`);
  return n;
}

/** `2s`, `500ms`, `1m`, `1m30s`, `0` → milliseconds (a bare number is seconds). */
export function durationFlag(flag: string) {
  return (value: string): number => {
    const v = value.trim();
    const ms = /^\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : parseDuration(v);
    if (ms === undefined) throw new VfleetError('VFLEET_USAGE', `${flag} ${JSON.stringify(value)}: expected a duration such as 2s, 500ms or 1m`);
    return Math.round(ms);
  };
}

interface UpFlags {
  count?: number;
  evk?: boolean;
  rate: number;
  jitter: number;
  concurrency: number;
  runtime: RuntimeName | 'auto';
  image?: string;
  disk?: 'file' | 'loop';
  detach?: boolean;
  deviceApi?: string;
  deviceApiCa?: string;
  devices: string;
  port: number;
  adminPort: number;
  binaryPort: number;
  sizeScale: number;
}

interface SelectFlags {
  all?: boolean;
  tag?: string;
}

function selector(ids: string[], flags: SelectFlags, verb: string): DeviceSelector {
  const given = [ids.length > 0, flags.all === true, flags.tag !== undefined].filter(Boolean).length;
  if (given !== 1) throw new VfleetError('VFLEET_USAGE', `vfleet ${verb}: name device ids, or --all, or --tag T (exactly one of them)`);
  if (flags.all) return { all: true };
  if (flags.tag !== undefined) return { tag: flags.tag };
  return { ids };
}

async function withFleet<T>(home: string, work: (fleet: RemoteFleet) => Promise<T>): Promise<T> {
  const fleet = await connectFleet(home);
  try {
    return await work(fleet);
  } finally {
    await fleet.close();
  }
}

function psRows(devices: DeviceStatus[]): string[] {
  const rows = [
    ['DEVICE', 'RUN', 'PHASE', 'VERSION', 'SLOT', 'BOOTS', 'CRASHES', 'TAGS', 'LAST'],
    ...devices.map((d) => [
      d.id, d.run, d.phase + (d.progress === undefined ? '' : ` ${d.progress}%`), d.version ?? '-', d.slot ?? '-',
      String(d.boots), String(d.crashes), d.tags?.join(',') || '-', (d.error ?? d.lastLog ?? '').slice(0, 70),
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

/** Re-runs `vfleet … up` without -d as a detached child logging to supervisor.log; returns once it answers. */
async function detach(home: string, argv: string[]): Promise<void> {
  const paths = supervisorPaths(home);
  mkdirSync(dirname(paths.log), { recursive: true });
  const out = openSync(paths.log, 'a');
  const entry = process.argv[1];
  if (entry === undefined) throw new VfleetError('VFLEET_IO', 'vfleet up -d: cannot tell which script runs vfleet');
  const args = argv.filter((a) => a !== '-d' && a !== '--detach');
  const child = spawn(process.execPath, [entry, '--home', home, 'up', ...args], { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  let exited: number | null | undefined;
  child.once('exit', (code, signal) => (exited = code ?? (signal ? 128 : 1)));
  child.unref();
  const end = Date.now() + 300_000;
  for (;;) {
    if (exited !== undefined) {
      const tail = readFileSync(paths.log, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
      throw new VfleetError('VFLEET_IO', `the supervisor exited (code ${exited}) before it answered; ${paths.log} ends with:\n${tail}`);
    }
    try {
      const fleet = await connectFleet(home);
      console.log(`supervisor pid ${fleet.info.pid} · socket ${fleet.info.socket} · log ${paths.log}`);
      await fleet.close();
      return;
    } catch {
      if (Date.now() > end) throw new VfleetError('VFLEET_IO', `the supervisor (pid ${child.pid}) did not answer within 300 s; see ${paths.log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export function registerFleet(program: Command): void {
  const home = () => resolveHome(program.opts<{ home?: string }>().home);

  const up = program
    .command('up')
    .description('run a fleet: embedded backend (unless --device-api), devices, runtime; foreground unless -d')
    .option('--count <n>', 'run EI-ML-0001 … EI-ML-<n>, generating missing ones (default: every device in --devices)', intFlag('--count', 1, 100_000))
    .option('--evk', "the EVK's six devices")
    .option('--rate <n/s>', 'devices started per second', rateFlag, 10)
    .option('--jitter <duration>', 'random delay added to each start', durationFlag('--jitter'), 2000)
    .option('--concurrency <n>', 'devices onboarding (started, not yet online) at once', intFlag('--concurrency', 1, 100_000), 50)
    .option('--runtime <name>', `one of ${RUNTIMES.join(', ')}`, choiceFlag('--runtime', RUNTIMES), 'auto')
    .option('--image <ref>', 'container image (docker/podman), e.g. peridio/peridiod:TAG for the real agent')
    .option('--disk <mode>', 'disk.img as a regular file or a vfleet-made loop device', choiceFlag('--disk', ['file', 'loop'] as const))
    .option('-d, --detach', 'run the supervisor in the background (log in $VFLEET_HOME/logs/supervisor.log)')
    .option('--device-api <host[:port]>', 'a device API elsewhere instead of the embedded backend', hostPortFlag('--device-api'))
    .option('--device-api-ca <file>', 'CA certificate of that device API')
    .option('--devices <dir>', 'folder of device directories', 'devices')
    .option('--port <n>', 'embedded device API port', intFlag('--port', 0, 65535), 4443)
    .option('--admin-port <n>', 'embedded admin API port', intFlag('--admin-port', 0, 65535), 4000)
    .option('--binary-port <n>', 'embedded binary download port', intFlag('--binary-port', 0, 65535), 4080)
    .option('--size-scale <x>', 'EVK binary sizes relative to the real ones', (v) => Number(v), 1);
  up.action(async (flags: UpFlags) => {
    const h = home();
    if (flags.detach) {
      const i = process.argv.indexOf('up');
      await detach(h, i >= 0 ? process.argv.slice(i + 1) : []);
      return;
    }
    const say = (l: string) => console.log(l);
    const supervisor = await startSupervisor({
      home: h,
      devicesDir: resolve(flags.devices),
      runtime: flags.runtime,
      ...(flags.count === undefined ? {} : { count: flags.count }),
      ...(flags.evk ? { evk: true } : {}),
      ramp: { rate: flags.rate, jitterMs: flags.jitter, concurrency: flags.concurrency },
      ...(flags.image === undefined ? {} : { image: flags.image }),
      ...(flags.disk === undefined ? {} : { disk: flags.disk }),
      ...(flags.deviceApi === undefined ? {} : { deviceApi: flags.deviceApi }),
      ...(flags.deviceApiCa === undefined ? {} : { deviceApiCa: resolve(flags.deviceApiCa) }),
      ports: { device: flags.port, admin: flags.adminPort, binary: flags.binaryPort },
      sizeScale: flags.sizeScale,
      say,
    });
    // `on`, not `once`: execa's exit hook re-raises a signal that nobody else still listens to
    const stop = () => void supervisor.stop();
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    let last = '';
    const timer = setInterval(() => {
      void supervisor.fleet.summary().then((s) => {
        const line = `${s.byPhase.online ?? 0}/${s.total} online · ${Object.entries(s.byRun).map(([k, v]) => `${k} ${v}`).join(' · ')}`;
        if (line !== last) say(line);
        last = line;
      });
    }, 2000);
    supervisor.fleet.subscribe((e) => {
      if (e.kind === 'failed') say(`${e.id} failed: ${String(e.data?.['reason'] ?? '')}`);
    });
    await supervisor.stopped;
    clearInterval(timer);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  });

  program
    .command('down')
    .description('stop the fleet supervisor, then remove everything vfleet made for this home (also after a crash)')
    .option('--runtime <name>', 'also clean up after this runtime (default: the ones this home has used)', choiceFlag('--runtime', RUNTIME_NAMES))
    .action(async (flags: { runtime?: RuntimeName }) => {
      const report = await downFleet(home(), flags.runtime === undefined ? {} : { also: [flags.runtime] });
      console.log(report.supervisor === 'none' ? 'no supervisor was running' : `supervisor ${report.supervisor}`);
      for (const r of report.removed) console.log(`removed ${r.kind} ${r.name}`);
      for (const e of report.errors) console.error(`vfleet down: ${e}`);
      if (report.errors.length > 0) process.exitCode = 1;
    });

  program
    .command('ps')
    .description('the devices of the running fleet')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      const devices = await withFleet(home(), (f) => f.devices());
      if (flags.json) console.log(JSON.stringify(devices, null, 2));
      else for (const l of psRows(devices)) console.log(l);
    });

  program
    .command('logs <id>')
    .description("a device's recent log lines; -f follows")
    .option('-f, --follow', 'keep printing new lines')
    .option('-n, --lines <n>', 'lines to show', intFlag('--lines', 1, 10_000), 100)
    .action(async (id: string, flags: { follow?: boolean; lines: number }) => {
      const fleet = await connectFleet(home());
      try {
        for (const l of await fleet.logs(id, { limit: flags.lines })) console.log(l);
        if (!flags.follow) return;
        const off = fleet.subscribe((e) => {
          if (e.id === id && e.line !== undefined) console.log(e.line);
        });
        const done = { resolve: () => undefined as void };
        const waiting = new Promise<void>((r) => (done.resolve = r));
        const quit = () => done.resolve();
        process.on('SIGINT', quit);
        process.on('SIGTERM', quit);
        void fleet.closed.then(quit);
        await waiting;
        process.off('SIGINT', quit);
        process.off('SIGTERM', quit);
        off();
      } finally {
        await fleet.close();
      }
    });

  const verbs: Array<[string, string, 'start' | 'stop' | 'reboot' | 'kill' | 'remove']> = [
    ['start', 'start devices (through the ramp)', 'start'],
    ['stop', 'stop devices (SIGTERM, then SIGKILL after the grace period)', 'stop'],
    ['reboot', 'reboot devices (over the device channel when connected)', 'reboot'],
    ['kill', 'kill devices at once (counted as a crash; restarted with backoff)', 'kill'],
    ['rm', 'stop devices and delete their directories', 'remove'],
  ];
  for (const [name, description, method] of verbs) {
    program
      .command(`${name} [ids...]`)
      .description(description)
      .option('--all', 'every device of the fleet')
      .option('--tag <tag>', 'devices carrying this tag')
      .action(async (ids: string[], flags: SelectFlags) => {
        const sel = selector(ids, flags, name);
        await withFleet(home(), (f) => f[method](sel));
        console.log(`${name}: ${'ids' in sel ? sel.ids.join(' ') : 'all' in sel ? 'all devices' : `tag ${sel.tag}`}`);
      });
  }
}
