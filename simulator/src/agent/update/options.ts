import type { KeyObject } from 'node:crypto';
import type { AgentConfig } from '@vfleet/core';
import type { AgentLogger, DeviceApi, DevicePaths, KvStore, RebootRequester } from '../types.js';
import type { DownloadTuning } from './download/download.js';
import type { DownloadSlots } from './download/download-slots.js';
import type { FetchBinary } from './download/fetch-binary.js';
import type { InstallerFactory, InstallerName } from './installers/installer.js';

export interface UpdaterOptions {
  config: AgentConfig;
  kv: KvStore;
  api: DeviceApi;
  paths: DevicePaths;
  log: AgentLogger;
  /** Stops polling and any plan where it stands (as a kill would). */
  signal: AbortSignal;
  /** The device identity; its key signs cache files (protocol §5.8). `privateKey`: the key already parsed. */
  identity: { certPem: string; keyPem: string; privateKey?: KeyObject };
  requestReboot: RebootRequester;
  /** Replaces the node:http(s) GET of binary URLs (tests, benches). */
  fetchBinary?: FetchBinary;
  /** An extra CA trusted, beside the public ones, for https binary URLs. */
  binaryCaPem?: string;
  /** peridiod version in `User-Agent: Peridiod/<vsn>` of downloads. */
  agentVersion?: string;
  download?: Partial<DownloadTuning>;
  /** Downloads at once among the devices of this process (the in-process runtime shares one set). */
  downloadSlots?: DownloadSlots;
  /** Adds or replaces installers, e.g. the fwup one of the A/B work. */
  installers?: Partial<Record<InstallerName, InstallerFactory>>;
  /** Called each time the server gives a valid `/update` answer (the agent validates its slot on the first). */
  onUpdateAnswer?: () => void;
  /** PATH-style list searched for deb/rpm/opkg/swupdate tools; default process.env.PATH. */
  toolPath?: string;
}

export interface Updater {
  /** Logs the polling line and, when polling is enabled, checks now and every interval. */
  start(): void;
  /** One check; resolves once the plan it started (if any) has ended. */
  checkNow(): Promise<void>;
  /** True while a plan executes. */
  busy(): boolean;
  /** Stops timers and the running plan, and waits for them. */
  stop(): Promise<void>;
}
