import { VfleetError } from '@vfleet/core';

/**
 * How a store rejection maps onto a client mistake: the admin API turns these into HTTP statuses
 * (unknown_field → 400, invalid/reference → 422, conflict → 409, not_found → 404).
 */
export type StoreErrorKind = 'invalid' | 'unknown_field' | 'reference' | 'conflict' | 'not_found';

/** A VFLEET_CONFIG_INVALID rejection whose message starts with `<entity>.<field>: `. */
export class StoreError extends VfleetError {
  readonly kind: StoreErrorKind;
  /** `<entity>.<field>`, e.g. `release.version_requirement`. */
  readonly field: string;
  constructor(kind: StoreErrorKind, field: string, detail: string, options?: { cause?: unknown }) {
    super('VFLEET_CONFIG_INVALID', `${field}: ${detail}`, options);
    this.name = 'StoreError';
    this.kind = kind;
    this.field = field;
  }
}

export function isStoreError(e: unknown): e is StoreError {
  return e instanceof StoreError;
}

export function notFound(entity: string, uuid: string): StoreError {
  return new StoreError('not_found', `${entity}.uuid`, `no ${entity} ${JSON.stringify(uuid)}`);
}
