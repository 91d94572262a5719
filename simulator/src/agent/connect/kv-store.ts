// peridiod's KV (protocol §3.1) over the U-Boot env fw_env.config names, or memory when that fails.
import path from 'node:path';
import { readUbootEnvFromConfig, updateUbootEnvAsync, type AllowDevice } from '@vfleet/core';
import type { AgentLogger, DevicePaths, KvStore } from '../types.js';
import type { Env } from './config-load.js';

export const DEFAULT_FW_ENV_CONFIG = '/etc/fw_env.config';

/** A non-persistent store: peridiod's InMemory backend. */
export function createMemoryKvStore(initial: ReadonlyMap<string, string> = new Map()): KvStore {
  const vars = new Map(initial);
  return {
    persistent: false,
    get: (k) => vars.get(k),
    all: () => new Map(vars),
    putMany(changes) {
      for (const [k, v] of changes) vars.set(k, v);
      return Promise.resolve();
    },
  };
}

const LOOP_MAJOR = 7;

/**
 * The block devices a vfleet runtime attached as loop devices and named in `VFLEET_LOOP_DEVICES`
 * (comma-separated device paths, e.g. /dev/mmcblk0): the only non-regular files the env may be written to.
 */
export function loopDevicesAllowed(env: Env, paths: DevicePaths): AllowDevice | undefined {
  const named = (env['VFLEET_LOOP_DEVICES'] ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (named.length === 0) return undefined;
  const hostPaths = new Set(named.map((p) => paths.map(p)));
  return (file, st) => st.isBlockDevice() && Math.floor(st.rdev / 256) % 4096 === LOOP_MAJOR && hostPaths.has(file);
}

function createUbootKvStore(hostConfigPath: string, vars: Map<string, string>, resolvePath: (p: string) => string, allowDevice?: AllowDevice, flush?: (fd: number) => Promise<void>): KvStore {
  let current = vars;
  let tail: Promise<void> = Promise.resolve();
  const write = async (changes: ReadonlyMap<string, string>): Promise<void> => {
    // Re-read, overlay, write (fdatasync'd by core, in the thread pool: the many agents of one process
    // do not wait for each other's flushes): foreign variables survive, as in peridiod.
    const written = await updateUbootEnvAsync(hostConfigPath, (on) => {
      for (const [k, v] of changes) on.set(k, v);
    }, { resolvePath, ...(allowDevice === undefined ? {} : { allowDevice }), ...(flush === undefined ? {} : { flush }) });
    current = written.vars;
  };
  return {
    persistent: true,
    get: (k) => current.get(k),
    all: () => new Map(current),
    putMany(changes) {
      const next = tail.then(() => write(changes));
      tail = next.catch(() => undefined);
      return next;
    },
  };
}

export interface OpenKvOptions {
  env: Env;
  paths: DevicePaths;
  log: AgentLogger;
  /** How each env write is made durable (a FlushLane's flush); default fdatasync in libuv's pool. */
  flush?: (fd: number) => Promise<void>;
}

/**
 * Reads the env once (fw_env.config from `VFLEET_FW_ENV_CONFIG`, else /etc/fw_env.config, both
 * device paths); when that fails logs peridiod's line and returns an empty in-memory store.
 */
export function openKvStore(options: OpenKvOptions): KvStore {
  const { env, paths, log } = options;
  const configured = env['VFLEET_FW_ENV_CONFIG'];
  const devicePath = configured === undefined || configured === '' ? DEFAULT_FW_ENV_CONFIG : configured;
  // Relative copy paths stay relative: core resolves them against fw_env.config's directory.
  const resolvePath = (p: string): string => (path.posix.isAbsolute(p) ? paths.map(p) : p);
  try {
    const hostConfigPath = paths.map(devicePath);
    const { vars } = readUbootEnvFromConfig(hostConfigPath, { resolvePath });
    return createUbootKvStore(hostConfigPath, vars, resolvePath, loopDevicesAllowed(env, paths), options.flush);
  } catch (e) {
    log.error(`Peridiod failed to load KV: ${e instanceof Error ? e.message : String(e)}`);
    return createMemoryKvStore();
  }
}
