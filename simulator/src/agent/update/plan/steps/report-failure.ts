import { removeCachedBinary } from '../../cache/metadata.js';
import { IntegrityError } from '../../download/integrity.js';
import type { UpdateBinary } from '../../model.js';
import { errorText, type PlanRun } from '../run-context.js';

/** Logs a step's failure as peridiod does and drops a cached copy that failed verification. */
export async function reportFailure(error: unknown, binary: UpdateBinary, from: 'uri' | 'cache', run: PlanRun, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  if (error instanceof IntegrityError) {
    if (from === 'uri') run.env.log.error(`[Stream Downloader ${binary.prn}] Integrity verification failed: ${error.reason}`);
    await removeCachedBinary(run.env.cache, binary);
  }
  run.env.log.error(`[Installer ${binary.prn}] Error ${errorText(error)}`);
}
