import type { Database } from 'better-sqlite3';
import type { PrnType } from '@vfleet/core';

/** What every repository shares: the connection, the organization and the clock. */
export interface Ctx {
  db: Database;
  org: string;
  /** Current time as an ISO-8601 UTC string. */
  now(): string;
  prn(type: PrnType | 'binary_signature', uuid: string): string;
  /** Marks the catalog as changed (see `Store.generation`). */
  changed(): void;
  generation(): number;
}
