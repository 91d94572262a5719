import type { AgentConfig } from '@vfleet/core';
import type { AgentLogger, DevicePaths } from '../../types.js';
import type { CacheStore } from '../cache/cache-store.js';
import type { UpdateBinary } from '../model.js';
import type { JsonObject } from '../validate/fields.js';

export type InstallerName = 'file' | 'cache' | 'deb' | 'rpm' | 'opkg' | 'swupdate' | 'fwup';
/** Parallel installers share a stage; a sequential one appears at most once per stage (protocol §5.6). */
export type InstallerModel = 'parallel' | 'sequential';

export interface InstallEnv {
  paths: DevicePaths;
  cache: CacheStore;
  config: AgentConfig;
  log: AgentLogger;
  signal: AbortSignal;
  /** PATH-style list searched for installer tools. */
  toolPath: string;
}

/** One binary's installer, its options already validated. */
export interface InstallJob {
  installer: InstallerName;
  model: InstallerModel;
  /**
   * Stream interface: `source` yields the bytes and throws at its end unless size, hash and
   * signature verified; the installer must make nothing visible until the source has ended cleanly.
   * A chunk is valid only until the next is asked for (downloads lend their buffers): copy to keep.
   */
  stream?: (source: AsyncIterable<Buffer>, env: InstallEnv) => Promise<void>;
  /** Path interface: a verified plaintext file, deleted after the call. */
  path?: (file: string, env: InstallEnv) => Promise<void>;
}

/** Validates `installer_opts` (throwing a VfleetError that names the field) and returns the job. */
export type InstallerFactory = (binary: UpdateBinary, opts: JsonObject, config: AgentConfig) => InstallJob;
