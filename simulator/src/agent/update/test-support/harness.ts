import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAgentConfig, type AgentConfig } from '@vfleet/core';
import type { DeviceApi } from '../../types.js';
import type { Updater, UpdaterOptions } from '../options.js';
import { createUpdater } from '../updater.js';
import { captureLog, type LogLine } from './capture-log.js';
import { devicePaths } from './device-paths.js';
import type { TestKv } from './memory-kv.js';

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `vfleet-update-${label}-`));
}

export const removeDir = (dir: string): void => rmSync(dir, { recursive: true, force: true });

export function deviceKeyPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

export function testConfig(json: Record<string, unknown>): AgentConfig {
  const result = parseAgentConfig({ cache_dir: '/etc/peridiod/cache', reboot_delay: 0, reboot_sync_cmd: 'true', ...json }, 'test peridio.json');
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.path}: ${e.message}`).join('; '));
  return result.config;
}

export interface DeviceUnderTest {
  updater: Updater;
  log: ReturnType<typeof captureLog>;
  reboots: string[];
  controller: AbortController;
}

/** One agent life on the device directory `dir`: a fresh updater over the given KV and API. */
export function bootDevice(args: {
  dir: string;
  kv: TestKv;
  api: DeviceApi;
  config: AgentConfig;
  keyPem: string;
  onLine?: (line: LogLine, device: DeviceUnderTest) => void;
  extra?: Partial<UpdaterOptions>;
}): DeviceUnderTest {
  const controller = new AbortController();
  const reboots: string[] = [];
  const device = {} as DeviceUnderTest;
  const log = captureLog((line) => args.onLine?.(line, device));
  const updater = createUpdater({
    config: args.config, kv: args.kv, api: args.api, paths: devicePaths(args.dir), log, signal: controller.signal,
    identity: { certPem: '', keyPem: args.keyPem }, requestReboot: (reason) => reboots.push(reason), ...args.extra,
  });
  return Object.assign(device, { updater, log, reboots, controller });
}
