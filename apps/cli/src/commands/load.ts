import type { Command } from 'commander';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { VfleetError } from '@vfleet/core';
import {
  createProgress,
  escapeControls,
  parseDuration,
  parsePercent,
  parseRate,
  readScenario,
  resolveHome,
  runLoad,
  scenarioFromFlags,
  startMetricsEndpoint,
  withDeviceCount,
  withTarget,
  checkReportTargets,
  writeReports,
  type LoadReport,
  type MetricsEndpoint,
  type ReportFiles,
  type RuntimeName,
  type Scenario,
} from '@vfleet/simulator';
import { choiceFlag, hostPortFlag, intFlag, sizeFlag } from '../flags.js';

interface LoadFlags {
  out?: string;
  devices?: number;
  deviceApi?: string;
  deviceApiCa?: string;
  metricsPort?: number;
  name?: string;
  rate: string;
  jitter: string;
  pollInterval?: string;
  duration?: string;
  timeout: string;
  release?: string;
  version?: string;
  binarySize?: number;
  reboot?: boolean;
  threshold: string[];
  hook?: string;
  runtime: RuntimeName;
  workDir?: string;
  keep?: boolean;
}

/**
 * The reports in `dir`; if they cannot go there after a run (which cannot be repeated), in a fresh
 * folder under the OS temp dir, saying so in one line, so the results are never dropped.
 */
function writeReportsSomewhere(dir: string, report: LoadReport): { files: ReportFiles; moved: boolean } {
  try {
    return { files: writeReports(dir, report), moved: false };
  } catch (e) {
    const first = (e as Error).message.split('\n')[0];
    let spare = join(tmpdir(), 'vfleet-reports-*');
    try {
      spare = mkdtempSync(join(tmpdir(), 'vfleet-reports-'));
      const files = writeReports(spare, report);
      console.error(escapeControls(`vfleet: ${first}; the reports are in ${spare} instead`));
      return { files, moved: true };
    } catch (e2) {
      throw new VfleetError('VFLEET_IO', `${first}; nor could they go to ${spare}: ${(e2 as Error).message.split('\n')[0]}`, { cause: e });
    }
  }
}

/** What the terminal shows of a message from the scenario, a child process or the backend: its first line, controls escaped. */
const shown = (e: unknown): string => escapeControls(String((e as Error).message).split('\n')[0] ?? '');

// a reader that went away (`vfleet load … | head`) must not end the run before its teardown and
// reports; it stays, as every later write to the closed pipe fails again
const ignoreClosedPipe = (): void => undefined;

const usage = (message: string): never => {
  throw new VfleetError('VFLEET_USAGE', message);
};

function parsed<T>(flag: string, value: string, parse: (v: string) => T | undefined, want: string): T {
  return parse(value) ?? usage(`${flag} ${JSON.stringify(value)}: expected ${want}`);
}

/** The scenario from the file (with flag overrides) or from the flags alone. */
function scenarioOf(file: string | undefined, f: LoadFlags): Scenario {
  if (file !== undefined) {
    let s = readScenario(file);
    if (f.devices !== undefined) s = withDeviceCount(s, f.devices);
    s = withTarget(s, f.deviceApi, f.deviceApiCa === undefined ? undefined : resolve(f.deviceApiCa));
    if (f.hook !== undefined) s = { ...s, target: { ...s.target, hook: f.hook } };
    return s;
  }
  const embedded = f.deviceApi === undefined;
  // the embedded backend creates a release for a --version alone; otherwise both name one release
  if ((f.release !== undefined && f.version === undefined) || (f.release === undefined && f.version !== undefined && !embedded)) {
    usage('--release and --version go together (the release to enable and the version devices report once updated)');
  }
  // 1.5.0 sits between the EVK's installed 1.1.0 and its r1002 (2.0.0), which the embedded backend seeds
  const version = f.version ?? (embedded ? '1.5.0' : undefined);
  const release = f.release !== undefined || embedded
    ? {
        name: f.release ?? `load-${version}`,
        version: version as string,
        ...(f.release === undefined ? { binaryBytes: f.binarySize ?? 1024 * 1024 } : f.binarySize === undefined ? {} : { binaryBytes: f.binarySize }),
        reboot: f.reboot ?? false,
      }
    : undefined;
  return scenarioFromFlags({
    ...(f.name === undefined ? {} : { name: f.name }),
    devices: f.devices ?? 10,
    ratePerSecond: parsed('--rate', f.rate, parseRate, 'a rate like 50/s'),
    jitter: parsed('--jitter', f.jitter, parsePercent, 'a percentage like 20%'),
    ...(f.pollInterval === undefined ? {} : { pollIntervalMs: parsed('--poll-interval', f.pollInterval, parseDuration, 'a duration like 5s, at most 24 days') }),
    ...(f.duration === undefined ? {} : { steadyMs: parsed('--duration', f.duration, parseDuration, 'a duration like 60s, at most 24 days') }),
    timeoutMs: parsed('--timeout', f.timeout, parseDuration, 'a duration like 10m, at most 24 days'),
    ...(release === undefined ? {} : { release }),
    thresholds: f.threshold,
    runtime: f.runtime,
    ...(f.deviceApi === undefined ? {} : { deviceApi: f.deviceApi }),
    ...(f.deviceApiCa === undefined ? {} : { deviceApiCa: resolve(f.deviceApiCa) }),
    ...(f.hook === undefined ? {} : { hook: f.hook }),
  });
}

/** Options that describe a scenario, so a scenario file excludes them. */
const FILELESS = ['name', 'rate', 'jitter', 'pollInterval', 'duration', 'timeout', 'release', 'version', 'binarySize', 'reboot', 'threshold', 'runtime'];

export function registerLoad(program: Command): void {
  program
    .command('load [scenario]')
    .description('run a load test (a scenario file, or the flags below) and judge it: exit 0 pass, 1 thresholds failed, 2 could not run')
    .option('--out <dir>', 'where the JSON, JUnit and HTML reports go (default <home>/reports)')
    .option('--devices <n>', 'device count (overrides the scenario’s one provision phase)', intFlag('--devices', 1, 100_000))
    .option('--device-api <host[:port]>', 'a real Peridio device API instead of the embedded backend', hostPortFlag('--device-api'))
    .option('--device-api-ca <file>', 'CA the devices trust for --device-api')
    .option('--metrics-port <n>', 'serve Prometheus/OpenMetrics on 127.0.0.1:<n>/metrics while running (0 picks a port)', intFlag('--metrics-port', 0, 65535))
    .option('--hook <command>', 'command that enables/phases the release on a real backend (gets VFLEET_ACTION, VFLEET_RELEASE, …)')
    .option('--name <name>', 'report name without a scenario file', 'load')
    .option('--rate <r>', 'without a file: devices started per second', '20/s')
    .option('--jitter <pct>', 'without a file: start-time jitter', '20%')
    .option('--poll-interval <d>', 'without a file: update poll interval of every device')
    .option('--duration <d>', 'without a file: hold this long once every device is online')
    .option('--timeout <d>', 'without a file: how long each wait may take', '10m')
    .option('--release <name>', 'without a file: the release to enable (default: vfleet creates load-<version>)')
    .option('--version <v>', 'without a file: the version devices report once updated (default 1.5.0)')
    .option('--binary-size <size>', 'without a file: size of the created release’s binary (default 1MiB)', sizeFlag('--binary-size'))
    .option('--reboot', 'without a file: the created release needs a reboot')
    .option('--threshold <expr>', 'without a file: a threshold, e.g. "p95(time_to_update) < 120s" (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--runtime <name>', 'without a file: how devices run', choiceFlag('--runtime', ['inproc', 'process', 'namespace', 'docker', 'podman'] as const), 'inproc')
    .option('--work-dir <dir>', 'device directories and backend state during the run (default: a temp folder, removed after)')
    .option('--keep', 'keep --work-dir after the run')
    .action(async (file: string | undefined, flags: LoadFlags, cmd: Command) => {
      for (const stream of [process.stdout, process.stderr]) {
        if (!stream.listeners('error').includes(ignoreClosedPipe)) stream.on('error', ignoreClosedPipe);
      }
      const home = resolveHome(program.opts<{ home?: string }>().home);
      const outDir = resolve(flags.out ?? join(home, 'reports'));
      let scenario: Scenario;
      let endpoint: MetricsEndpoint | undefined;
      // everything that can be refused is refused here, in one line, before a device starts
      try {
        const fileless = FILELESS.filter((o) => cmd.getOptionValueSource(o) === 'cli');
        if (file !== undefined && fileless.length > 0) {
          usage(`--${fileless[0]?.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} applies without a scenario file; ${file} says that itself`);
        }
        scenario = scenarioOf(file, flags);
        checkReportTargets(outDir, scenario.name);
        if (flags.metricsPort !== undefined) endpoint = await startMetricsEndpoint(flags.metricsPort, scenario.name);
      } catch (e) {
        console.error(`vfleet: ${shown(e)}`);
        process.exitCode = 2;
        return;
      }
      const controller = new AbortController();
      // the handlers stay for the whole run: with none left, the backend child's exit hook would
      // re-raise the signal and end the process before the teardown and the reports
      const onSignal = (signal: NodeJS.Signals) => {
        if (controller.signal.aborted) {
          // the second one is not ours to handle: the signal's default action ends the process
          progress.say('vfleet: forced stop; no reports');
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          process.kill(process.pid, signal);
          return;
        }
        progress.say('vfleet: stopping (Ctrl-C again to force)…');
        controller.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const progress = createProgress(process.stderr);
      let started = false;
      // nothing is printed until the run has passed its preflight, so a refusal stays one line
      const begin = () => {
        if (started) return;
        started = true;
        if (endpoint) progress.say(`metrics: ${endpoint.url}`);
      };
      // phase notes quote the scenario, hook output and the backend
      const say = (line: string) => {
        begin();
        progress.say(escapeControls(line));
      };
      const print = (line: string) => console.log(escapeControls(line));
      try {
        const report = await runLoad({
          scenario,
          home,
          signal: controller.signal,
          say,
          onSample: (live) => {
            begin();
            endpoint?.update(live);
            progress.update(live);
          },
          ...(flags.workDir === undefined ? {} : { workDir: resolve(flags.workDir), keepWorkDir: flags.keep === true }),
        });
        progress.clear();
        const { files, moved } = writeReportsSomewhere(outDir, report);
        const verdict = !report.complete ? `INCOMPLETE (${report.incompleteReason})` : report.pass ? 'PASS' : 'FAIL';
        print(`${scenario.name}: ${verdict} · ${report.devices.updated}/${report.devices.provisioned} updated · ${report.durationSeconds.toFixed(1)}s`);
        for (const t of report.thresholds) print(`  ${t.pass ? 'ok  ' : 'FAIL'} ${t.threshold} (measured ${t.actualText})`);
        for (const c of report.checks.filter((x) => !x.pass)) print(`  FAIL wait ${c.name}: ${c.message}`);
        print(`reports: ${files.json} ${files.junit} ${files.html}`);
        // not where they were asked for: CI would miss them, so the run does not count as passed
        process.exitCode = moved ? 2 : report.exitCode;
      } catch (e) {
        // runLoad throws only from its preflight, before a device starts; writing the reports may fail too
        progress.clear();
        console.error(`vfleet: ${shown(e)}`);
        process.exitCode = 2;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await endpoint?.close();
      }
    });
}
