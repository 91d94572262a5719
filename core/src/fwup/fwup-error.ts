import { VfleetError, type VfleetErrorCode } from '../errors.js';

/**
 * What went wrong with an fwup archive or apply, mapped onto vfleet's closed code set:
 * archive = corrupt ZIP/meta.conf/resource, signature = authenticity, task = task selection or a
 * function refusing, image = the target, usage = caller input (keys, options), io = reading/writing files.
 */
export type FwupProblem = 'archive' | 'signature' | 'task' | 'image' | 'usage' | 'io';

const CODES: Record<FwupProblem, VfleetErrorCode> = {
  archive: 'VFLEET_CONFIG_INVALID',
  signature: 'VFLEET_SIGNATURE_INVALID',
  task: 'VFLEET_CONFIG_INVALID',
  image: 'VFLEET_DISK_INVALID',
  usage: 'VFLEET_USAGE',
  io: 'VFLEET_IO',
};

/** A VfleetError whose message starts with `where` (archive name, entry, task…). */
export function fwupError(problem: FwupProblem, where: string, detail: string, cause?: unknown): VfleetError {
  return new VfleetError(CODES[problem], `${where}: ${detail}`, cause === undefined ? undefined : { cause });
}
