import BetterSqlite3 from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';
import { isUuid, VfleetError } from '@vfleet/core';
import type { Ctx } from './context.js';
import { migrate, schemaVersion } from './migrate.js';
import { STORE_PRAGMAS } from './pragmas.js';
import { makeTables } from './tables.js';
import type { Organization, ReportedState } from './types.js';
import { WriteBehind, type WriteBehindOptions } from './write-behind.js';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';
import { storeOpenError } from './open-error.js';
import { artifactsRepo } from './repos/artifacts.js';
import { artifactVersionsRepo } from './repos/artifact-versions.js';
import { binariesRepo } from './repos/binaries.js';
import { binarySignaturesRepo } from './repos/binary-signatures.js';
import { bundleOverridesRepo } from './repos/bundle-overrides.js';
import { bundlesRepo } from './repos/bundles.js';
import { caCertificatesRepo } from './repos/ca-certificates.js';
import { caVerificationCodesRepo } from './repos/ca-verification-codes.js';
import { cohortsRepo } from './repos/cohorts.js';
import { deviceCertificatesRepo } from './repos/device-certificates.js';
import { devicesRepo } from './repos/devices.js';
import { eventsRepo } from './repos/events.js';
import { productsRepo } from './repos/products.js';
import { releasesRepo } from './repos/releases.js';
import { signingKeysRepo } from './repos/signing-keys.js';
import { tunnelsRepo } from './repos/tunnels.js';
import { updateContextReader } from './update-context.js';

export interface StoreOptions extends Partial<WriteBehindOptions> {
  /** Used when the database is created; an existing database keeps its own (a different uuid is refused). */
  organizationUuid?: string;
  organizationName?: string;
  /** Clock for timestamps (tests). */
  now?: () => Date;
  /**
   * WAL checkpoints in a worker thread every `everyMs` (default 1000) instead of inside the serving
   * thread's commits (see checkpointer.ts). The serving backend turns this on.
   */
  checkpointWorker?: boolean | { everyMs: number };
}

export type Store = ReturnType<typeof openStore>;

/**
 * Opens (creating and migrating as needed) the backend database. Call `close()` to flush queued
 * touches and events; the serving process calls `resetPresence()` once at start.
 */
export function openStore(file: string, options: StoreOptions = {}) {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  let db: BetterSqlite3.Database;
  try {
    db = new BetterSqlite3(file);
  } catch (cause) {
    throw storeOpenError(file, cause);
  }
  try {
    // SQLite reads the file only now: a file that is no database fails here, not in the constructor
    for (const pragma of STORE_PRAGMAS) db.pragma(pragma);
    migrate(db, file);
    const org = organization(db, file, options);
    return assemble(db, file, org, options);
  } catch (e) {
    db.close();
    throw storeOpenError(file, e);
  }
}

function organization(db: BetterSqlite3.Database, file: string, options: StoreOptions): Organization {
  const row = db.prepare('SELECT uuid, name FROM organization').get() as { uuid: string; name: string } | undefined;
  if (row !== undefined) {
    if (options.organizationUuid !== undefined && options.organizationUuid.toLowerCase() !== row.uuid) {
      throw new VfleetError('VFLEET_CONFIG_INVALID', `${file}: belongs to organization ${row.uuid}, not ${options.organizationUuid}`);
    }
    return { uuid: row.uuid, name: row.name, prn: `prn:1:${row.uuid}` };
  }
  const uuid = (options.organizationUuid ?? randomUUID()).toLowerCase();
  if (!isUuid(uuid)) throw new VfleetError('VFLEET_CONFIG_INVALID', `organizationUuid: ${JSON.stringify(uuid)} is not a UUID`);
  const name = options.organizationName ?? 'vfleet';
  db.prepare('INSERT INTO organization (uuid, name, inserted_at) VALUES (?, ?, ?)').run(uuid, name, new Date().toISOString());
  return { uuid, name, prn: `prn:1:${uuid}` };
}

function assemble(db: BetterSqlite3.Database, file: string, org: Organization, options: StoreOptions) {
  const clock = options.now ?? (() => new Date());
  let generation = 0;
  const ctx: Ctx = {
    db,
    org: org.uuid,
    now: () => clock().toISOString(),
    prn: (type, uuid) => `prn:1:${org.uuid}:${type}:${uuid}`,
    changed: () => void generation++,
    generation: () => generation,
  };
  const onError = options.onError ?? ((e: unknown) => process.emitWarning(e instanceof VfleetError ? e.message : `backend store ${file}: batched write failed: ${(e as Error).message}`));
  const writeBehind = new WriteBehind(db, {
    flushMs: options.flushMs ?? 100,
    maxPending: options.maxPending ?? 2000,
    retention: options.retention ?? 100_000,
    pruneEvery: options.pruneEvery ?? 1000,
    maxQueued: options.maxQueued ?? 50_000,
    onError,
  });
  const cp = options.checkpointWorker;
  const checkpointer: Checkpointer | undefined = cp === undefined || cp === false || file === ':memory:'
    ? undefined
    : startCheckpointer(db, file, { ...(typeof cp === 'object' ? { everyMs: cp.everyMs } : {}), onError: (m) => onError(new VfleetError('VFLEET_IO', `${file}: ${m}`)) });
  const t = makeTables(ctx);
  const caVerificationCodes = caVerificationCodesRepo(ctx);
  const repos = {
    products: productsRepo(t),
    cohorts: cohortsRepo(t),
    caCertificates: caCertificatesRepo(ctx, t, caVerificationCodes),
    caVerificationCodes,
    signingKeys: signingKeysRepo(ctx, t),
    artifacts: artifactsRepo(t),
    artifactVersions: artifactVersionsRepo(t),
    binaries: binariesRepo(t),
    binarySignatures: binarySignaturesRepo(ctx, t),
    bundles: bundlesRepo(ctx, t),
    releases: releasesRepo(ctx, t),
    bundleOverrides: bundleOverridesRepo(ctx, t),
    devices: devicesRepo(ctx, t, writeBehind),
    deviceCertificates: deviceCertificatesRepo(t),
    tunnels: tunnelsRepo(t),
    events: eventsRepo(ctx, writeBehind),
  };
  const reader = updateContextReader(ctx, t, repos);
  let open = true;
  return {
    file,
    ...repos,
    organization: (): Organization => ({ ...org }),
    schemaVersion: (): number => schemaVersion(db),
    /** Increases on every catalog or device write (not on touches or events): a cache key. */
    generation: (): number => generation,
    /** A poll: last seen now, and what the device reported (omit to keep the previous report). */
    touchDevice(uuid: string, reported?: ReportedState, at: Date = clock()): void {
      writeBehind.touch(uuid, { last_seen_at: at.toISOString(), ...(reported === undefined ? {} : { reported }) });
    },
    /** Marks every device offline: presence from a previous run is stale. Returns how many were online. */
    resetPresence(): number {
      writeBehind.allOffline();
      ctx.changed();
      return db.prepare('UPDATE devices SET online = 0 WHERE online = 1').run().changes;
    },
    /** Socket presence; also counts as seen. */
    setDeviceOnline(uuid: string, online: boolean, at: Date = clock()): void {
      writeBehind.touch(uuid, { online, last_seen_at: at.toISOString() });
    },
    recordEvent: (kind: string, deviceUuid: string | null, data?: unknown): void => repos.events.record(kind, deviceUuid, data),
    /** What `resolveUpdate` needs besides the device, its headers and the time (memoised per generation). */
    updateContext: reader.updateContext,
    /** A bundle's binaries with artifact, version and signatures, for the `/update` manifest. */
    manifest: reader.manifest,
    /** WAL checkpoints the worker has run (0 without `checkpointWorker`). */
    checkpoints: (): number => checkpointer?.runs ?? 0,
    /** Writes queued touches and events now. */
    flush: (): void => writeBehind.flush(),
    /** Runs `fn` in one transaction (rolled back if it throws). */
    transaction: <R>(fn: () => R): R => db.transaction(fn)(),
    /** Writes what is queued and closes; a write that fails now (full disk) is reported through onError, never thrown. */
    close(): void {
      if (!open) return;
      open = false;
      try {
        writeBehind.flush();
      } catch (cause) {
        const { touches, events } = writeBehind.pending();
        onError(new VfleetError('VFLEET_IO', `${file}: ${events} queued events and ${touches} device sightings could not be written before closing and are lost (${(cause as Error).message})`, { cause }));
      } finally {
        checkpointer?.close();
        db.close();
      }
    },
  };
}
