import type { RuntimeName } from '../fleet/types.js';
import type { Threshold } from './thresholds.js';

/** Where a value came from in the scenario file, for messages that name `file:line:col`. */
export interface SourcePos {
  line: number;
  col: number;
}

/** A validated load scenario; every duration is in ms, every rate per second, every fraction 0..1. */
export interface Scenario {
  name: string;
  description?: string;
  /** Seeds ramp jitter and fault picks so a run repeats. */
  seed: number;
  /** The file it came from (undefined when built from flags). */
  file?: string;
  target: ScenarioTarget;
  release?: ScenarioRelease;
  phases: Phase[];
  thresholds: Threshold[];
  /** Fleet sample period for the timeline charts and the progress line. */
  sampleIntervalMs: number;
  /** Measure the floor (hash + write the release's bytes once per device on every core) after the run. */
  floor: boolean;
}

export interface ScenarioTarget {
  runtime: RuntimeName;
  /** A real device API `host[:port]`; absent means the embedded backend. */
  deviceApi?: string;
  /** CA the devices trust for `deviceApi` (required with it). */
  deviceApiCa?: string;
  /** Command run for release actions when the backend is not the embedded one. */
  hook?: string;
  /** Embedded backend: the EVK product's binary sizes times this (default 1). */
  sizeScale: number;
}

export interface ScenarioRelease {
  /** Release name in the backend (looked up, or created with `create`). */
  name: string;
  /** Version devices report once they run the release. */
  version: string;
  /** Embedded backend only: vfleet creates the release (disabled) after the devices' installed one. */
  create?: { binaryBytes: number; reboot: boolean };
}

export type Phase =
  | ProvisionPhase
  | { kind: 'ramp'; at: SourcePos; ratePerSecond: number; jitter: number }
  | { kind: 'steady'; at: SourcePos; durationMs: number }
  | { kind: 'rollout'; at: SourcePos; steps: RolloutStep[] }
  | { kind: 'wait'; at: SourcePos; until: WaitCondition; timeoutMs: number }
  | { kind: 'faults'; at: SourcePos; faults: Fault[] }
  | { kind: 'teardown'; at: SourcePos };

export type PhaseKind = Phase['kind'];

export interface ProvisionPhase {
  kind: 'provision';
  at: SourcePos;
  /** The EVK's six devices instead of `count` numbered ones. */
  evk: boolean;
  count: number;
  prefix: string;
  cohort?: string;
  tags: string[];
  target?: string;
  /** peridio.json `update_poll_interval` override. */
  pollIntervalMs?: number;
  env: 'file' | 'disk';
  diskBytes: number;
  /** peridio.json `cache_encryption_enabled` override (the rollout figure measures the pipeline, not AES). */
  cacheEncryption?: boolean;
}

export type RolloutAction =
  | { action: 'enable'; phase?: PhaseValue }
  | { action: 'disable' }
  | { action: 'phase'; phase: PhaseValue };

/** A fraction 0..1, a device count (≥ 2, as the backend reads it), or phase tags. */
export type PhaseValue = { value: number; text: string } | { tags: string[] };

export type RolloutStep = RolloutAction & { afterMs: number; at: SourcePos };

export interface WaitCondition {
  /** `count` devices, or `fraction` of the provisioned fleet. */
  amount: { count: number } | { fraction: number };
  /** `on <version>` or `online`. */
  state: { version: string } | { online: true };
  text: string;
}

export type Fault = { at: SourcePos } & (
  | { fault: 'kill' | 'reboot' | 'stop' | 'start'; amount: { count: number } | { fraction: number } }
  | { fault: 'binary'; status?: number; truncateAt?: number; corrupt?: boolean; durationMs: number }
);
