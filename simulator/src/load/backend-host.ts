import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execaNode } from 'execa';
import { VfleetError } from '@vfleet/core';
import type { BinaryFault } from '../backend/binaries/serve.js';
import { startBackend } from '../backend/server.js';
import { backendRebooter } from '../fleet/backend-reboot.js';

/** Messages the runner sends the backend process. */
export type BackendRequest =
  | { type: 'fault'; uuids: string[]; fault?: BinaryFault }
  | { type: 'reboot'; seq: number; id: string }
  | { type: 'close' };

type BackendReply =
  | { type: 'ready'; deviceApiUrl: string; deviceApiCaPath: string; adminUrl: string; adminToken: string }
  | { type: 'error'; message: string }
  | { type: 'rebooted'; seq: number; ok: boolean }
  | { type: 'closed' };

/** The embedded backend as a load run uses it, wherever it runs. */
export interface LoadBackend {
  where: 'process' | 'in-process';
  deviceApiUrl: string;
  deviceApiCaPath: string;
  adminUrl: string;
  adminToken: string;
  /** Injects (or with undefined lifts) a fault on the downloads of these binaries. */
  setFault(uuids: string[], fault: BinaryFault | undefined): void;
  /** Reboot through the device channel; false when the device is not connected. */
  reboot(id: string): Promise<boolean>;
  close(): Promise<void>;
}

export interface LoadBackendOptions {
  home: string;
  publicHost: string;
  listenHosts: string[];
  product: string;
  onError: (message: string) => void;
}

const entry = new URL('./backend-process.js', import.meta.url);

/** Sets (or with undefined lifts) `fault` on each of `uuids` in a backend's fault table. */
export function setFaults(faults: Map<string, BinaryFault>, uuids: readonly string[], fault: BinaryFault | undefined): void {
  for (const u of uuids) {
    if (fault) faults.set(u, fault);
    else faults.delete(u);
  }
}

/**
 * A separate process when the compiled entry is there (the CLI): one event loop for 1,000 agents
 * and another for the backend, as in production. From TypeScript sources (tests) it runs here.
 */
export async function startLoadBackend(o: LoadBackendOptions): Promise<LoadBackend> {
  return existsSync(fileURLToPath(entry)) ? startBackendProcess(o) : startInProcess(o);
}

async function startInProcess(o: LoadBackendOptions): Promise<LoadBackend> {
  const b = await startBackend({ home: o.home, port: 0, adminPort: 0, binaryPort: 0, publicHost: o.publicHost, listenHosts: o.listenHosts, onError: (e) => o.onError((e as Error).message ?? String(e)) });
  const reboot = backendRebooter(b, o.product);
  return {
    where: 'in-process',
    deviceApiUrl: b.deviceApiUrl,
    deviceApiCaPath: b.deviceApiCaPath,
    adminUrl: b.admin.url,
    adminToken: b.adminToken,
    setFault: (uuids, fault) => setFaults(b.faults, uuids, fault),
    reboot: async (id) => reboot(id),
    close: () => b.close(),
  };
}

async function startBackendProcess(o: LoadBackendOptions): Promise<LoadBackend> {
  const child = execaNode(fileURLToPath(entry), [JSON.stringify({ home: o.home, publicHost: o.publicHost, listenHosts: o.listenHosts, product: o.product })], {
    ipc: true,
    serialization: 'json',
    stdin: 'ignore',
    stdout: 'inherit',
    stderr: 'inherit',
    cleanup: true,
    forceKillAfterDelay: 5000,
    reject: false,
  });
  const pending = new Map<number, (ok: boolean) => void>();
  let seq = 0;
  let onReady: ((m: Extract<BackendReply, { type: 'ready' }>) => void) | undefined;
  let onClosed: (() => void) | undefined;
  const ready = new Promise<Extract<BackendReply, { type: 'ready' }>>((resolve) => (onReady = resolve));
  const closed = new Promise<void>((resolve) => (onClosed = resolve));
  void (async () => {
    for await (const raw of child.getEachMessage()) {
      const m = raw as unknown as BackendReply;
      if (m.type === 'ready') onReady?.(m);
      else if (m.type === 'error') o.onError(m.message);
      else if (m.type === 'rebooted') pending.get(m.seq)?.(m.ok);
      else if (m.type === 'closed') onClosed?.();
    }
  })().catch(() => undefined);
  const exited = child.then((r) => {
    for (const done of pending.values()) done(false);
    return r;
  });
  const info = await Promise.race([
    ready,
    exited.then((r) => {
      throw new VfleetError('VFLEET_IO', `embedded backend process exited before it was ready (${r.exitCode ?? r.signal}): ${String(r.stderr ?? '').split('\n').filter(Boolean).at(-1) ?? ''}`);
    }),
  ]);
  const send = (m: BackendRequest) => child.sendMessage(m as unknown as Parameters<typeof child.sendMessage>[0]).catch(() => undefined);
  return {
    where: 'process',
    ...info,
    setFault(uuids, fault) {
      void send(fault ? { type: 'fault', uuids, fault } : { type: 'fault', uuids });
    },
    reboot(id) {
      const n = ++seq;
      return new Promise<boolean>((resolve) => {
        pending.set(n, (ok) => {
          pending.delete(n);
          resolve(ok);
        });
        void send({ type: 'reboot', seq: n, id });
      });
    },
    async close() {
      await send({ type: 'close' });
      await Promise.race([closed, exited.then(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
      child.kill();
      await exited;
    },
  };
}
