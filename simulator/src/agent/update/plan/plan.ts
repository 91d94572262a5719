import type { AgentConfig } from '@vfleet/core';
import type { AgentLogger, DevicePaths, RebootRequester } from '../../types.js';
import type { CacheStore } from '../cache/cache-store.js';
import type { DownloadContext } from '../download/download.js';
import type { InstallJob } from '../installers/installer.js';
import type { KvWriter } from '../kv-writer.js';
import type { UpdateBinary, UpdateOffer } from '../model.js';

export type PlanStep =
  | { kind: 'cache'; binary: UpdateBinary }
  | { kind: 'install'; binary: UpdateBinary; job: InstallJob; source: 'uri' | 'cache' };

/** What one `/update` offer turns into (protocol §5.1 step 6–7). */
export interface Plan {
  offer: UpdateOffer;
  /** Binaries already recorded in peridio_bin_current: carried into bin_progress, not reinstalled. */
  installed: UpdateBinary[];
  toInstall: UpdateBinary[];
  /** Stages run one after another; the steps of a stage run in parallel. */
  stages: PlanStep[][];
  reboot: boolean;
}

/** Everything the pipeline's states and steps use; one per updater, nothing shared between devices. */
export interface PipelineEnv {
  config: AgentConfig;
  kv: KvWriter;
  cache: CacheStore;
  paths: DevicePaths;
  log: AgentLogger;
  requestReboot: RebootRequester;
  download: Omit<DownloadContext, 'log' | 'signal'>;
  toolPath: string;
}
