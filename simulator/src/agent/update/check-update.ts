import { parseBinRecords, parseTrustedKey, stateHeaders } from '@vfleet/core';
import type { DeviceApi } from '../types.js';
import type { InstallerFactories } from './installers/resolve-installer.js';
import { buildPlan } from './plan/build-plan.js';
import type { PipelineEnv, Plan } from './plan/plan.js';
import { selectBinaries } from './select/select-binaries.js';
import { parseUpdateResponse } from './validate/parse-update.js';
import { quoted } from '../connect/log-text.js';

export interface CheckDeps {
  api: DeviceApi;
  env: PipelineEnv;
  factories: InstallerFactories;
  trustedKeys: readonly Buffer[];
  /** The server gave a valid answer (update, no update or quarantined). */
  onAnswered?: () => void;
  /** The agent is stopping: a poll it cut short is not an error. */
  signal?: AbortSignal;
}

// Stands in for Elixir's inspect/1 of the body: JSON, cut short.
const inspect = (value: unknown): string => quoted(value, 500);

/** The trusted keys peridiod would load; config validation already dropped the invalid ones. */
export function loadTrustedKeys(entries: readonly string[]): Buffer[] {
  return entries.flatMap((entry, i) => {
    try {
      return [parseTrustedKey(entry, `trusted_signing_keys[${i}]`)];
    } catch {
      return [];
    }
  });
}

function binCurrent(env: PipelineEnv): string {
  const value = env.kv.read().get('peridio_bin_current') ?? '';
  try {
    parseBinRecords(value);
    return value;
  } catch (error) {
    env.log.warn(`[Bundle Server] ignoring unreadable peridio_bin_current: ${(error as Error).message}`);
    return '';
  }
}

/**
 * Cloud.Update's check (protocol §4.6, §5.1 steps 1–6): poll, log the answer as peridiod does,
 * validate, select and plan. Returns the plan to execute, or undefined when there is nothing to do
 * or the offer was refused (nothing written in either case).
 */
export async function checkForUpdate(deps: CheckDeps): Promise<Plan | undefined> {
  const { env } = deps;
  const log = env.log;
  log.info('[Cloud Server] Checking for update');
  let status: number;
  let body: unknown;
  try {
    ({ status, body } = await deps.api.getUpdate({ ...stateHeaders(env.kv.read()) }));
  } catch (error) {
    // stopped mid-poll: nothing went wrong
    if (deps.signal?.aborted !== true) log.error(`[Cloud Server] error checking for update ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
  let response;
  try {
    response = parseUpdateResponse(status, body);
  } catch (error) {
    // peridiod's parser would crash the poller (restarted by its supervisor); we log and carry on.
    log.error(`[Cloud Server] error checking for update ${(error as Error).message}`);
    return undefined;
  }
  if (response.kind !== 'unrecognised') deps.onAnswered?.();
  switch (response.kind) {
    case 'no_update':
      log.info('[Cloud Server] no update');
      return undefined;
    case 'device_quarantined':
      log.info('[Cloud Server] Device Quarantined');
      log.info('[Cloud Server] no update');
      return undefined;
    case 'unrecognised':
      log.info('[Cloud Server] Non 200 response from server');
      log.info(`[Cloud Server] Status code: ${status}`);
      log.info(`[Cloud Server] Response: ${inspect(body)}`);
      return undefined;
    case 'update':
      break;
  }
  const selection = selectBinaries({
    binaries: response.offer.binaries, targets: env.config.targets, binCurrent: binCurrent(env),
    trustedKeys: deps.trustedKeys, threshold: env.config.trustedSigningKeyThreshold,
  });
  for (const note of selection.notes) log.info(note);
  if (!selection.trusted) {
    log.error('[Bundle Server] unable to install binaries with untrusted signatures');
    return undefined;
  }
  return buildPlan(response.offer, selection, env, deps.factories);
}
