/**
 * The fleet's contracts. The orchestrator (supervisor) implements `FleetHandle`; the control-socket
 * client implements the same interface, so the TUI and the load runner never know whether the
 * fleet runs in their process or in a detached supervisor. Runtimes implement `Runtime`.
 */

export type RuntimeName = 'docker' | 'podman' | 'namespace' | 'process' | 'inproc';

/** What the orchestrator knows about one device's run (not its update state). */
export type DeviceRunState =
  | 'stopped' // not started, or stopped by the user
  | 'starting' // boot + runtime start in progress
  | 'running' // agent process/object alive
  | 'rebooting' // agent exited with the reboot code; restart pending
  | 'crashed' // exited abnormally (or its slot's OS crashed at boot); restart with backoff pending
  | 'no-network' // booted a slot whose OS has no network: alive but silent
  | 'failed'; // cannot start (corrupt directory, engine error, no bootable slot…): `error` says why

/** Update/connection state read from the agent's log lines (protocol §9 grammar). */
export type DevicePhase =
  | 'offline'
  | 'connecting'
  | 'online' // joined the device channel
  | 'checking'
  | 'queued' // its plan started, waiting for a download slot (an in-process fleet shares a limited number)
  | 'downloading'
  | 'installing'
  | 'rebooting'
  | 'error';

export interface DeviceStatus {
  id: string;
  runtime: RuntimeName;
  run: DeviceRunState;
  phase: DevicePhase;
  cohort?: string;
  tags?: string[];
  /** Version reported by the agent/env (`peridio_vsn_current`), e.g. "2.0.0". */
  version?: string;
  /** Release PRN currently installed (`peridio_rel_current`). */
  release?: string;
  /** Booted slot for A/B devices. */
  slot?: 'a' | 'b';
  /** Download or install progress 0..100 while `phase` is downloading/installing. */
  progress?: number;
  /** ms since epoch of the last line or event seen from this device. */
  lastSeen?: number;
  /** Open tunnel summary, e.g. "22→127.0.0.1:41022". */
  tunnel?: string;
  boots: number;
  crashes: number;
  error?: string;
  /** Last log line (without timestamp), for one-line displays. */
  lastLog?: string;
}

export type DeviceEventKind =
  | 'started'
  | 'exited'
  | 'crashed'
  | 'failed'
  | 'booted' // virtual bootloader chose a slot (data: slot, version, outcome)
  | 'connected' // device channel joined
  | 'disconnected'
  | 'checking' // polling /update
  | 'no-update'
  | 'update-available' // data: release / version
  | 'queued' // waiting for a download slot; data: binary, limit (at once in the process), waiting
  | 'downloading' // data: percent
  | 'installing' // data: percent
  | 'installed'
  | 'rebooting'
  | 'tunnel-up'
  | 'tunnel-down'
  | 'error' // data: message
  | 'log'; // any other line

export interface DeviceEvent {
  /** ms since epoch */
  at: number;
  id: string;
  kind: DeviceEventKind;
  /** The source line when the event came from a log line. */
  line?: string;
  data?: Record<string, string | number | boolean | undefined>;
}

export interface FleetSummary {
  total: number;
  byRun: Partial<Record<DeviceRunState, number>>;
  byPhase: Partial<Record<DevicePhase, number>>;
  /** version → count */
  versions: Record<string, number>;
}

export type DeviceSelector = { ids: string[] } | { all: true } | { tag: string };

/** A running fleet, local or behind the supervisor's control socket. */
export interface FleetHandle {
  runtime: RuntimeName;
  /** Snapshot of every device, in id order. */
  devices(): Promise<DeviceStatus[]>;
  summary(): Promise<FleetSummary>;
  /** Live events; returns an unsubscribe function. */
  subscribe(listener: (event: DeviceEvent) => void): () => void;
  /** Last `limit` log lines of one device (and, with `follow`, the listener gets new ones). */
  logs(id: string, opts?: { limit?: number }): Promise<string[]>;
  /** Creates (if needed) and starts `count` more devices; resolves with their ids once queued. */
  add(count: number, opts?: { cohort?: string; tags?: string[] }): Promise<string[]>;
  start(sel: DeviceSelector): Promise<void>;
  /** Graceful stop, forced after the grace period. */
  stop(sel: DeviceSelector): Promise<void>;
  /** Asks the device to reboot (agent exits with the reboot code; the runtime restarts it). */
  reboot(sel: DeviceSelector): Promise<void>;
  /** Immediate kill (SIGKILL for processes/containers); counts as a crash. */
  kill(sel: DeviceSelector): Promise<void>;
  /** Stops and deletes the device directories. */
  remove(sel: DeviceSelector): Promise<void>;
  /** Admin API of the backend the fleet talks to, when it is the embedded one. */
  backend?: { adminUrl: string; adminToken: string; deviceApiUrl: string };
  /** Stops every device and (for an owned supervisor) the backend. */
  close(): Promise<void>;
}

/** Everything a runtime needs to start one device. */
export interface DeviceLaunch {
  id: string;
  /** Host path of the device directory (mounted on /etc/peridiod in containers/namespaces). */
  deviceDir: string;
  /** Extra environment for the agent. */
  env: Record<string, string>;
  /** Called with each line the agent prints (stdout and stderr), without trailing newline. */
  onLine: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface RunningDevice {
  id: string;
  /** Resolves when the agent is gone: exit code (REBOOT_EXIT_CODE = reboot) or signal. */
  exit: Promise<{ code: number | null; signal?: string | null }>;
  /** SIGTERM (or the in-process equivalent), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  kill(): Promise<void>;
}

export interface PreflightReport {
  runtime: RuntimeName;
  ok: boolean;
  /** Why it cannot run here (engine missing, not root…). */
  problems: string[];
  /**
   * Ceilings stated before they are hit: max devices and why. An advisory one does not stop a start
   * past it; it says where the host starts to degrade (the note says how).
   */
  ceilings: { what: string; limit: number; note: string; advisory?: boolean }[];
  /** Host memory estimate per device in bytes. */
  memoryPerDevice: number;
}

export interface CleanupReport {
  removed: { kind: 'container' | 'network' | 'netns' | 'veth' | 'bridge' | 'loop' | 'process' | 'mount'; name: string }[];
  errors: string[];
}

export interface Runtime {
  name: RuntimeName;
  preflight(count: number): Promise<PreflightReport>;
  /** One-time setup before the first start (networks, bridges, image check). */
  prepare?(): Promise<void>;
  start(launch: DeviceLaunch): Promise<RunningDevice>;
  /** Removes everything this runtime made, found by vfleet's labels/names (also after a crash). */
  cleanup(): Promise<CleanupReport>;
  /**
   * Addresses the embedded backend must also listen on for this runtime's devices to reach it
   * (bridge/gateway IPs, known after prepare()); absent when loopback serves (process, inproc).
   */
  backendListenHosts?(): string[];
}

/**
 * Host name the embedded backend is reached by from every device (certificate SAN). Each runtime
 * makes it resolve inside the device: containers with `--add-host`, namespaces and the
 * process/inproc runtimes through the device's own `/etc/hosts` (`<device>/root/etc/hosts`).
 */
export const BACKEND_HOST_NAME = 'vfleet-backend';

/** Options every runtime factory takes. */
export interface RuntimeOptions {
  /** VFLEET_HOME: pid files, logs, state the runtime keeps. */
  home: string;
  /** Container image reference (docker/podman). */
  image?: string;
  /** How disk.img reaches the device: a regular file (default) or a vfleet-made loop device. */
  disk?: 'file' | 'loop';
  /** The embedded backend's ports, when the fleet uses it (for routing devices to it). */
  backend?: { port: number; binaryPort: number };
}
