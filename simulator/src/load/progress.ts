import { escapeControls } from '../agent/connect/log-text.js';
import type { LiveState } from './runner.js';
import { formatDuration } from './units.js';

/** One line: where the run is and how the fleet is doing (control characters from the scenario escaped). */
export function progressLine(l: LiveState): string {
  const p95 = l.collector.histograms.time_to_update.quantile(0.95);
  return escapeControls([
    `[${formatDuration(l.elapsedSeconds * 1000)}]`,
    l.phase,
    `· ${l.online}/${l.provisioned} online`,
    ...(l.targetVersion ? [`· ${l.updated} on ${l.targetVersion}`] : []),
    `· ${l.updating} updating`,
    `· errors ${l.collector.counters.errors}`,
    ...(p95 === undefined ? [] : [`· p95 time-to-update ${formatDuration(p95)}`]),
  ].join(' '));
}

/** Streams whose reader went away (EPIPE, a closed pipe): nothing more is written to them. */
const closedStreams = new WeakMap<NodeJS.WritableStream, { closed: boolean }>();

/**
 * Whether `stream` still takes writes. The first call adds the one 'error' listener the stream keeps:
 * without it a closed pipe (`vfleet load … | head`) is an uncaught exception that ends the run before its
 * teardown and reports, and it stays because every later write to that pipe fails again.
 */
function streamState(stream: NodeJS.WritableStream): { closed: boolean } {
  let state = closedStreams.get(stream);
  if (!state) {
    const s = { closed: false };
    stream.on('error', () => {
      s.closed = true;
    });
    closedStreams.set(stream, s);
    state = s;
  }
  return state;
}

/**
 * Writes the progress line to a stream: rewritten in place on a terminal, otherwise a new line at
 * most every `everyMs` (CI logs stay readable). Once the stream fails (its reader is gone) nothing more
 * is written and the run goes on.
 */
export function createProgress(stream: NodeJS.WriteStream, everyMs = 10_000) {
  const tty = stream.isTTY === true;
  const state = streamState(stream);
  let last = 0;
  let shown = false;
  const write = (text: string): void => {
    if (state.closed) return;
    try {
      stream.write(text);
    } catch {
      // a stream that refuses writes outright (ended, destroyed) is as gone as a closed pipe
      state.closed = true;
    }
  };
  const clear = (): void => {
    if (tty && shown) write('\r\x1b[K');
    shown = false;
  };
  return {
    update(l: LiveState): void {
      const line = progressLine(l);
      if (tty) {
        write(`\r\x1b[K${line.slice(0, Math.max(20, (stream.columns ?? 120) - 1))}`);
        shown = true;
      } else if (Date.now() - last >= everyMs) {
        write(`${line}\n`);
        last = Date.now();
      }
    },
    /** Moves off the progress line before other output. */
    clear,
    /** Writes `line` (as it is: escape what came from elsewhere first) on a line of its own, above the progress line. */
    say(line: string): void {
      clear();
      write(`${line}\n`);
    },
  };
}
