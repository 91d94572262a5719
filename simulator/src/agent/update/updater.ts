import { progressReset } from '@vfleet/core';
import { CacheStore } from './cache/cache-store.js';
import { createDeviceSigner } from './cache/device-signature.js';
import { checkForUpdate, loadTrustedKeys, type CheckDeps } from './check-update.js';
import { DEFAULT_DOWNLOAD_TUNING } from './download/download.js';
import { mappedDeviceDir } from '../connect/device-paths.js';
import { createHostsLookup } from '../connect/host-lookup.js';
import { createHttpFetch } from './download/fetch-binary.js';
import { BUILTIN_INSTALLERS } from './installers/resolve-installer.js';
import { createKvWriter } from './kv-writer.js';
import type { Updater, UpdaterOptions } from './options.js';
import type { PipelineEnv } from './plan/plan.js';
import { runPlan, type PlanOutcome } from './plan/run-plan.js';
import { timerMs } from '../timer-ms.js';

const PROGRESS_KEYS = ['peridio_via_progress', 'peridio_bun_progress', 'peridio_vsn_progress', 'peridio_bin_progress'];
const DEFAULT_AGENT_VERSION = '3.4.1';

/** The release-update pipeline of one device (protocol §4.6, §5). */
export function createUpdater(options: UpdaterOptions): Updater {
  const { config, log } = options;
  const stopper = new AbortController();
  const signal = AbortSignal.any([options.signal, stopper.signal]);
  const cache = new CacheStore({
    root: options.paths.map(config.cacheDir), deviceDir: mappedDeviceDir(options.paths), encryption: config.cacheEncryptionEnabled,
    signer: createDeviceSigner(options.identity.privateKey ?? options.identity.keyPem), log,
  });
  const env: PipelineEnv = {
    config, log, cache, paths: options.paths, kv: createKvWriter(options.kv), requestReboot: options.requestReboot,
    download: {
      fetch: options.fetchBinary ?? createHttpFetch(options.binaryCaPem, createHostsLookup(options.paths)),
      tuning: { ...DEFAULT_DOWNLOAD_TUNING, ...options.download },
      userAgent: `Peridiod/${options.agentVersion ?? DEFAULT_AGENT_VERSION}`,
      ...(options.downloadSlots === undefined ? {} : { slots: options.downloadSlots }),
    },
    toolPath: options.toolPath ?? process.env['PATH'] ?? '',
  };
  const deps: CheckDeps = {
    api: options.api, env, signal, factories: { ...BUILTIN_INSTALLERS, ...options.installers }, trustedKeys: loadTrustedKeys(config.trustedSigningKeys),
    ...(options.onUpdateAnswer ? { onAnswered: options.onUpdateAnswer } : {}),
  };
  let ready: Promise<void> | undefined;
  let plan: Promise<PlanOutcome> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  const checks = new Set<Promise<void>>();

  // A plan interrupted by a kill left progress keys behind: roll back to what bin_current says.
  const prepare = (): Promise<void> => (ready ??= (async () => {
    await cache.init();
    const kv = env.kv.read();
    if (PROGRESS_KEYS.some((k) => (kv.get(k) ?? '') !== '')) {
      log.warn('[Bundle Server] Aborting resumption');
      await env.kv.update((current) => progressReset(current).kv, signal);
    }
  })().catch((error: unknown) => {
    ready = undefined;
    throw error;
  }));

  async function check(awaitPlan: boolean): Promise<void> {
    try {
      await prepare();
      await cache.ensure();
      if (signal.aborted) return;
      const next = await checkForUpdate(deps);
      if (next === undefined || signal.aborted) return;
      if (plan !== undefined) {
        log.warn('[Plan Server] Plan is already executing');
        return;
      }
      const running = runPlan(next, env, signal).finally(() => {
        plan = undefined;
      });
      plan = running;
      if (awaitPlan) await running;
    } catch (error) {
      if (!signal.aborted) log.error(`[Cloud Server] error checking for update ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  const tracked = (awaitPlan: boolean): Promise<void> => {
    const p = check(awaitPlan).finally(() => checks.delete(p));
    checks.add(p);
    return p;
  };

  function tick(): void {
    timer = undefined;
    if (signal.aborted) return;
    void tracked(false).finally(() => {
      if (!signal.aborted) timer = setTimeout(tick, timerMs(config.updatePollInterval));
    });
  }

  signal.addEventListener('abort', () => clearTimeout(timer), { once: true });

  return {
    start() {
      if (started || signal.aborted) return;
      started = true;
      if (!config.updatePollEnabled) {
        log.info('[Cloud Server] Polling Disabled');
        return;
      }
      log.info('[Cloud Server] Polling enabled');
      tick();
    },
    checkNow: () => tracked(true),
    busy: () => plan !== undefined,
    async stop() {
      stopper.abort();
      clearTimeout(timer);
      await Promise.allSettled([...checks, ...(plan === undefined ? [] : [plan])]);
    },
  };
}
