// Startup as peridiod orders it: KV (persistence app) first, then config, then the identity check.
import type { AgentConfig } from '@vfleet/core';
import type { AgentLogger, DevicePaths, KvStore } from '../types.js';
import { loadAgentConfig, type Env } from './config-load.js';
import { loadIdentity, type IdentityPems } from './identity.js';
import { openKvStore } from './kv-store.js';

export interface AgentSetup {
  config: AgentConfig;
  configPath: string;
  identity: IdentityPems;
  kv: KvStore;
  warnings: string[];
}

/** Rejects with peridiod's identity error (VFLEET_CONFIG_INVALID) when the device cannot start. */
export async function loadAgentSetup(options: { env: Env; paths: DevicePaths; log: AgentLogger; flush?: (fd: number) => Promise<void> }): Promise<AgentSetup> {
  const kv = openKvStore(options);
  const { config, configPath, warnings } = await loadAgentConfig(options);
  const identity = await loadIdentity({ node: config.node, env: options.env, kv, paths: options.paths, log: options.log });
  return { config, configPath, identity, kv, warnings };
}
