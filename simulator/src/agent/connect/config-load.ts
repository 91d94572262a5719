// peridio.json as peridiod loads it (protocol §1.1): log the path, fall back to defaults when unusable.
import { configPathFromEnv, defaultAgentConfig, formatConfigIssue, parseAgentConfig, type AgentConfig } from '@vfleet/core';
import type { AgentLogger, DevicePaths } from '../types.js';
import { readDeviceFile, readReason } from './device-read.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface LoadedConfig {
  config: AgentConfig;
  /** The device path read (before mapping). */
  configPath: string;
  /** Non-fatal findings (unknown keys, dropped trusted keys…), each naming its JSON path. */
  warnings: string[];
}

/** DESIGN.md's default when PERIDIO_CONFIG_FILE, XDG_CONFIG_HOME and HOME are all unset. */
export const DEFAULT_CONFIG_PATH = '/etc/peridiod/peridio.json';

function configPath(env: Env): string {
  try {
    return configPathFromEnv(env);
  } catch {
    return DEFAULT_CONFIG_PATH;
  }
}


export async function loadAgentConfig(options: { env: Env; paths: DevicePaths; log: AgentLogger }): Promise<LoadedConfig> {
  const { env, paths, log } = options;
  const path = configPath(env);
  log.info(`[Config] Using config path: ${path}`);
  const read = readDeviceFile(paths, path);
  if (read.status !== 'ok') {
    log.warn(`[Config] unable to read config file: ${readReason(read)}`);
    return { config: defaultAgentConfig(), configPath: path, warnings: [] };
  }
  const result = parseAgentConfig(read.bytes.toString('utf8'), path);
  if (!result.ok) {
    log.warn(`[Config] unable to read config file: ${result.errors.map((i) => formatConfigIssue(path, i)).join('; ')}`);
    return { config: defaultAgentConfig(), configPath: path, warnings: [] };
  }
  return { config: result.config, configPath: path, warnings: result.warnings.map((i) => formatConfigIssue(path, i)) };
}
