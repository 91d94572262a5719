import type { Statement } from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import type { PrnType } from '@vfleet/core';
import type { Ctx } from './context.js';
import { notFound, StoreError } from './errors.js';

export type Row = Record<string, unknown>;

export interface Codec {
  /** Columns stored as 0/1 that read back as booleans. */
  bools?: readonly string[];
  /** Columns stored as JSON text. */
  json?: readonly string[];
  /** Last step of decoding: hide columns, add data from other tables. */
  finish?: (decoded: Row) => Row;
}

function isConstraint(e: unknown, code: string): boolean {
  return (e as { code?: unknown }).code === code;
}

/**
 * Generic single-table access behind each repository: prepared statements, row decoding
 * (PRN, booleans, JSON) and SQLite constraint failures turned into StoreErrors.
 */
export class Table<T> {
  private readonly getStmt: Statement;
  private readonly listStmt: Statement;
  private readonly deleteStmt: Statement;
  private readonly existsStmt: Statement;
  private readonly cache = new Map<string, Statement>();

  constructor(
    private readonly ctx: Ctx,
    readonly name: string,
    readonly entity: string,
    private readonly type: PrnType | 'binary_signature',
    private readonly codec: Codec = {},
  ) {
    this.getStmt = ctx.db.prepare(`SELECT * FROM ${name} WHERE uuid = ?`);
    this.listStmt = ctx.db.prepare(`SELECT * FROM ${name} ORDER BY rowid`);
    this.deleteStmt = ctx.db.prepare(`DELETE FROM ${name} WHERE uuid = ?`);
    this.existsStmt = ctx.db.prepare(`SELECT 1 FROM ${name} WHERE uuid = ?`).pluck();
  }

  decode(row: Row): T {
    const out: Row = { uuid: row['uuid'], prn: this.ctx.prn(this.type, row['uuid'] as string) };
    for (const [key, value] of Object.entries(row)) {
      if (key === 'uuid') continue;
      if (this.codec.bools?.includes(key)) out[key] = value === 1;
      else if (this.codec.json?.includes(key)) out[key] = typeof value === 'string' ? JSON.parse(value) : null;
      else out[key] = value;
    }
    return (this.codec.finish?.(out) ?? out) as T;
  }

  private encode(values: Row): Row {
    const out: Row = {};
    for (const [key, value] of Object.entries(values)) {
      if (this.codec.bools?.includes(key)) out[key] = value ? 1 : 0;
      else if (this.codec.json?.includes(key)) out[key] = value === null ? null : JSON.stringify(value);
      else out[key] = value;
    }
    return out;
  }

  exists(uuid: string): boolean {
    return this.existsStmt.get(uuid) !== undefined;
  }

  get(uuid: string): T | undefined {
    const row = this.getStmt.get(uuid) as Row | undefined;
    return row === undefined ? undefined : this.decode(row);
  }

  must(uuid: string): T {
    const found = this.get(uuid);
    if (found === undefined) throw notFound(this.entity, uuid);
    return found;
  }

  list(): T[] {
    return (this.listStmt.all() as Row[]).map((r) => this.decode(r));
  }

  /** All rows matching a prepared `WHERE` clause over the given parameters. */
  where(clause: string, ...params: unknown[]): T[] {
    const stmt = this.statement(`SELECT * FROM ${this.name} WHERE ${clause} ORDER BY rowid`);
    return (stmt.all(...params) as Row[]).map((r) => this.decode(r));
  }

  statement(sql: string): Statement {
    let stmt = this.cache.get(sql);
    if (stmt === undefined) {
      stmt = this.ctx.db.prepare(sql);
      this.cache.set(sql, stmt);
    }
    return stmt;
  }

  insert(values: Row, uuid: string = randomUUID()): T {
    const now = this.ctx.now();
    const row = this.encode({ uuid, ...values, inserted_at: now, updated_at: now });
    const keys = Object.keys(row);
    const sql = `INSERT INTO ${this.name} (${keys.join(', ')}) VALUES (${keys.map((k) => `@${k}`).join(', ')})`;
    this.guard(() => this.statement(sql).run(row));
    this.ctx.changed();
    return this.must(uuid);
  }

  update(uuid: string, values: Row): T {
    const keys = Object.keys(values);
    if (keys.length > 0) {
      const row = this.encode({ ...values, updated_at: this.ctx.now() });
      const sql = `UPDATE ${this.name} SET ${Object.keys(row).map((k) => `${k} = @${k}`).join(', ')} WHERE uuid = @uuid`;
      const info = this.guard(() => this.statement(sql).run({ ...row, uuid }));
      if (info.changes === 0) throw notFound(this.entity, uuid);
      this.ctx.changed();
    }
    return this.must(uuid);
  }

  /** `referrers` names what may still point at the row, for the conflict message. */
  remove(uuid: string, referrers: string): void {
    let changes: number;
    try {
      changes = this.deleteStmt.run(uuid).changes;
    } catch (e) {
      if (!isConstraint(e, 'SQLITE_CONSTRAINT_FOREIGNKEY')) throw e;
      throw new StoreError('conflict', `${this.entity}.uuid`, `${this.entity} ${uuid} is still used by ${referrers}; delete or move those first`, { cause: e });
    }
    if (changes === 0) throw notFound(this.entity, uuid);
    this.ctx.changed();
  }

  private guard<R>(run: () => R): R {
    try {
      return run();
    } catch (e) {
      if (isConstraint(e, 'SQLITE_CONSTRAINT_UNIQUE') || isConstraint(e, 'SQLITE_CONSTRAINT_PRIMARYKEY')) {
        throw new StoreError('conflict', this.entity, `already exists (${(e as Error).message})`, { cause: e });
      }
      if (isConstraint(e, 'SQLITE_CONSTRAINT_FOREIGNKEY')) {
        throw new StoreError('reference', this.entity, 'refers to a row that does not exist', { cause: e });
      }
      throw e;
    }
  }
}

/** Throws a `reference` StoreError naming `<entity>.<field>` when `uuid` is not in `table`. */
export function requireRef(table: Table<unknown>, entity: string, field: string, uuid: string): void {
  if (!table.exists(uuid)) {
    throw new StoreError('reference', `${entity}.${field}`, `no ${table.entity} ${JSON.stringify(uuid)}`);
  }
}
