// Text from elsewhere (a server's reply, a manifest, a tool's output) on its way into a log line.

// C0 controls, DEL and C1 controls (0x9b is a one-byte CSI on some terminals)
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;
// eslint-disable-next-line no-control-regex
const CONTROLS_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;
const escape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * Control characters as `\uXXXX` text, so that nothing logged can move a terminal's cursor, clear
 * it or recolour it; with `keepNewlines` a newline stays (an entry may span lines).
 */
export function escapeControls(text: string, keepNewlines = false): string {
  const re = keepNewlines ? CONTROLS_BUT_NEWLINE : CONTROLS;
  re.lastIndex = 0;
  return re.test(text) ? text.replace(re, escape) : text;
}

/** The first `n` UTF-16 units of `text`, one fewer where the cut would split a surrogate pair. */
export function cutUnits(text: string, n: number): string {
  return text.slice(0, /[\uD800-\uDBFF]/.test(text.charAt(n - 1)) ? n - 1 : n);
}

/**
 * A value from a peer for a log line: JSON (so quoted, C0 controls escaped by JSON itself), with
 * DEL and C1 controls (which JSON leaves as they are) escaped too, cut to `max` characters.
 */
export function quoted(value: unknown, max = 200): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Array.isArray(value) ? '[…]' : typeof value === 'object' ? '{…}' : String(value);
  }
  text = escapeControls(text);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

// A line that reads as the start of a log entry: console `HH:MM:SS.mmm [level]`, file `YYYY-MM-DDTHH:MM`.
const ENTRY_START = /\n(?=\d\d:\d\d:\d\d\.\d{3} \[|\d{4}-\d\d-\d\dT\d\d:\d\d)/g;

/**
 * A message as it is logged: controls escaped, newlines kept, and any continuation line that would
 * read as an entry of its own indented, so text inside a message can never pass for another entry.
 */
export function logText(message: string): string {
  const text = escapeControls(message, true);
  return text.includes('\n') ? text.replace(ENTRY_START, '\n  ') : text;
}
