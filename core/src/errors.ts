/** The closed set of stable error codes vfleet reports. */
export type VfleetErrorCode =
  | 'VFLEET_ENV_INVALID'
  | 'VFLEET_ENV_CONFIG_INVALID'
  | 'VFLEET_DISK_INVALID'
  | 'VFLEET_PKI_INVALID'
  | 'VFLEET_SIGNATURE_INVALID'
  | 'VFLEET_CONFIG_INVALID'
  | 'VFLEET_STATE_INVALID'
  | 'VFLEET_PRN_INVALID'
  | 'VFLEET_SEMVER_INVALID'
  | 'VFLEET_USAGE'
  | 'VFLEET_WORKSPACE'
  | 'VFLEET_DEVICE_EXISTS'
  | 'VFLEET_IO';

/**
 * A user-facing failure: `message` names what was wrong and where; `code` is stable for scripts.
 * Only the CLI entry turns these into exit codes.
 */
export class VfleetError extends Error {
  readonly code: VfleetErrorCode;
  constructor(code: VfleetErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VfleetError';
    this.code = code;
  }
}

export function isVfleetError(e: unknown): e is VfleetError {
  return e instanceof VfleetError;
}
