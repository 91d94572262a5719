import { VfleetError } from '@vfleet/core';
import type { RuntimeName } from '../fleet/types.js';
import type { Phase, Scenario } from './scenario.js';
import { releaseIssues } from './release-rules.js';
import { parseThreshold, ThresholdSyntaxError } from './thresholds.js';

/** The common case without a file: N devices, a ramp, optionally one release to everyone, thresholds. */
export interface FlagScenarioOptions {
  name?: string;
  devices: number;
  ratePerSecond: number;
  jitter: number;
  pollIntervalMs?: number;
  /** Hold after every device is online. */
  steadyMs?: number;
  /** Each wait's timeout. */
  timeoutMs: number;
  release?: { name: string; version: string; binaryBytes?: number; reboot: boolean };
  thresholds: string[];
  runtime: RuntimeName;
  deviceApi?: string;
  deviceApiCa?: string;
  hook?: string;
}

const at = { line: 0, col: 0 };

/** The flag each release field came from, in the order they are reported. */
const RELEASE_FLAGS = { version: '--version', binary: '--binary-size', name: '--release' } as const;

export function scenarioFromFlags(o: FlagScenarioOptions): Scenario {
  if (o.release) {
    // the backend's own rules, before anything starts (as a scenario file's release gets them at parse time)
    const { name, version, binaryBytes } = o.release;
    const issues = releaseIssues({ name, version, binaryBytes });
    const first = (Object.keys(RELEASE_FLAGS) as Array<keyof typeof RELEASE_FLAGS>).map((f) => issues.find((i) => i.field === f)).find((i) => i !== undefined);
    if (first) {
      const value = first.field === 'binary' ? String(binaryBytes) : JSON.stringify(first.field === 'name' ? name : version);
      throw new VfleetError('VFLEET_USAGE', `${RELEASE_FLAGS[first.field]} ${value}: ${first.message}`);
    }
  }
  const phases: Phase[] = [
    { kind: 'provision', at, evk: false, count: o.devices, prefix: 'LOAD', tags: [], env: 'file', diskBytes: 0, ...(o.pollIntervalMs === undefined ? {} : { pollIntervalMs: o.pollIntervalMs }) },
    { kind: 'ramp', at, ratePerSecond: o.ratePerSecond, jitter: o.jitter },
    { kind: 'wait', at, until: { amount: { fraction: 1 }, state: { online: true }, text: 'all online' }, timeoutMs: o.timeoutMs },
  ];
  if (o.steadyMs !== undefined) phases.push({ kind: 'steady', at, durationMs: o.steadyMs });
  if (o.release) {
    phases.push({ kind: 'rollout', at, steps: [{ action: 'enable', afterMs: 0, at }] });
    phases.push({ kind: 'wait', at, until: { amount: { fraction: 1 }, state: { version: o.release.version }, text: `all on ${o.release.version}` }, timeoutMs: o.timeoutMs });
  }
  phases.push({ kind: 'teardown', at });
  const thresholds = o.thresholds.map((text) => {
    try {
      return parseThreshold(text);
    } catch (e) {
      if (!(e instanceof ThresholdSyntaxError)) throw e;
      throw new VfleetError('VFLEET_USAGE', `--threshold ${JSON.stringify(text)}: ${e.message}`);
    }
  });
  if (o.deviceApi !== undefined && o.release?.binaryBytes !== undefined) throw new VfleetError('VFLEET_USAGE', '--binary-size creates a release in the embedded backend; against --device-api name an existing one with --release and --version');
  return {
    name: o.name ?? 'load',
    seed: 1,
    target: {
      runtime: o.runtime,
      sizeScale: 1,
      ...(o.deviceApi === undefined ? {} : { deviceApi: o.deviceApi }),
      ...(o.deviceApiCa === undefined ? {} : { deviceApiCa: o.deviceApiCa }),
      ...(o.hook === undefined ? {} : { hook: o.hook }),
    },
    ...(o.release
      ? { release: { name: o.release.name, version: o.release.version, ...(o.release.binaryBytes === undefined ? {} : { create: { binaryBytes: o.release.binaryBytes, reboot: o.release.reboot } }) } }
      : {}),
    phases,
    thresholds,
    sampleIntervalMs: 1000,
    floor: false,
  };
}

/** `--devices N` on a scenario file: the count of its one numbered provision phase. */
export function withDeviceCount(s: Scenario, devices: number): Scenario {
  const provisions = s.phases.filter((p) => p.kind === 'provision' && !p.evk);
  if (provisions.length !== 1 || s.phases.some((p) => p.kind === 'provision' && p.evk)) {
    throw new VfleetError('VFLEET_USAGE', `--devices: ${s.file ?? s.name} has ${provisions.length} numbered provision phase(s)${s.phases.some((p) => p.kind === 'provision' && p.evk) ? ' and the EVK devices' : ''}; --devices sets the count of exactly one`);
  }
  return { ...s, phases: s.phases.map((p) => (p.kind === 'provision' && !p.evk ? { ...p, count: devices } : p)) };
}

/** `--device-api`/`--device-api-ca` on a scenario file: the same checks the file's own target gets. */
export function withTarget(s: Scenario, deviceApi: string | undefined, deviceApiCa: string | undefined): Scenario {
  if (deviceApi === undefined && deviceApiCa === undefined) return s;
  const api = deviceApi ?? s.target.deviceApi;
  const ca = deviceApiCa ?? s.target.deviceApiCa;
  if (api === undefined) throw new VfleetError('VFLEET_USAGE', '--device-api-ca: only with --device-api (the embedded backend brings its own CA)');
  if (ca === undefined) throw new VfleetError('VFLEET_USAGE', `--device-api ${api}: give the CA its devices trust with --device-api-ca FILE`);
  if (s.release?.create) throw new VfleetError('VFLEET_USAGE', `--device-api: ${s.file ?? s.name} creates its release (release.create), which needs the embedded backend`);
  if (s.phases.some((p) => p.kind === 'faults' && p.faults.some((f) => f.fault === 'binary'))) throw new VfleetError('VFLEET_USAGE', `--device-api: ${s.file ?? s.name} injects binary faults, which need the embedded backend`);
  return { ...s, target: { ...s.target, deviceApi: api, deviceApiCa: ca } };
}
