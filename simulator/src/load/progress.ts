import type { LiveState } from './runner.js';
import { formatDuration } from './units.js';

/** One line: where the run is and how the fleet is doing. */
export function progressLine(l: LiveState): string {
  const p95 = l.collector.histograms.time_to_update.quantile(0.95);
  return [
    `[${formatDuration(l.elapsedSeconds * 1000)}]`,
    l.phase,
    `· ${l.online}/${l.provisioned} online`,
    ...(l.targetVersion ? [`· ${l.updated} on ${l.targetVersion}`] : []),
    `· ${l.updating} updating`,
    `· errors ${l.collector.counters.errors}`,
    ...(p95 === undefined ? [] : [`· p95 time-to-update ${formatDuration(p95)}`]),
  ].join(' ');
}

/**
 * Writes the progress line to a stream: rewritten in place on a terminal, otherwise a new line at
 * most every `everyMs` (CI logs stay readable).
 */
export function createProgress(stream: NodeJS.WriteStream, everyMs = 10_000) {
  const tty = stream.isTTY === true;
  let last = 0;
  let shown = false;
  return {
    update(l: LiveState): void {
      const line = progressLine(l);
      if (tty) {
        stream.write(`\r\x1b[K${line.slice(0, Math.max(20, (stream.columns ?? 120) - 1))}`);
        shown = true;
      } else if (Date.now() - last >= everyMs) {
        stream.write(`${line}\n`);
        last = Date.now();
      }
    },
    /** Moves off the progress line before other output. */
    clear(): void {
      if (tty && shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}
