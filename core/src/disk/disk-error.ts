import { VfleetError } from '../errors.js';

/** A VFLEET_DISK_INVALID error whose message starts with the source it came from. */
export function diskInvalid(source: string, detail: string, cause?: unknown): VfleetError {
  return new VfleetError('VFLEET_DISK_INVALID', `${source}: ${detail}`, cause === undefined ? undefined : { cause });
}

export function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
