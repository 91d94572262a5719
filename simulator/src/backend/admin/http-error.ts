import { isVfleetError } from '@vfleet/core';
import { isStoreError, type StoreErrorKind } from '../store/index.js';

/** A request failure with its HTTP status and a stable `error.code` for clients. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

const BY_KIND: Record<StoreErrorKind, [number, string]> = {
  unknown_field: [400, 'unknown_field'],
  invalid: [422, 'invalid_value'],
  reference: [422, 'unknown_reference'],
  conflict: [409, 'conflict'],
  not_found: [404, 'not_found'],
};

/** Store rejections keep their message; anything unexpected becomes a 500 without internals. */
export function toHttpError(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  if (isStoreError(e)) {
    const [status, code] = BY_KIND[e.kind];
    return new HttpError(status, code, e.message, e.field);
  }
  if (isVfleetError(e) && e.code !== 'VFLEET_IO') return new HttpError(422, 'invalid_value', e.message);
  return new HttpError(500, 'internal', 'internal error; see the backend log');
}
