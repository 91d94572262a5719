// The user side of the console relay: JSON text frames between `vfleet shell` (or the TUI) and the backend.
import { jsonTextTooDeep, MAX_JSON_DEPTH } from '../../json-depth.js';

/** User → backend. */
export type UserMessage =
  | { type: 'input'; data: string }
  | { type: 'resize'; width: number; height: number }
  | { type: 'restart' };

/** Backend → user. */
export type RelayMessage = { type: 'output'; data: string } | { type: 'error'; message: string };

/** Close codes of a relay session besides 1000 (user left) and 1001 (backend shutting down). */
export const CLOSE_TAKEN_OVER = 4000;
export const CLOSE_DEVICE_GONE = 4001;
export const CLOSE_TOO_SLOW = 4002;

export const MAX_INPUT_CHARS = 64 * 1024;
const MAX_DIMENSION = 10_000;

const isDimension = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= MAX_DIMENSION;

/** Decodes one user frame; a string names what was wrong and what is accepted. */
export function decodeUserMessage(text: string): UserMessage | string {
  const deep = jsonTextTooDeep(text);
  if (deep >= 0) return `frame: nested deeper than ${MAX_JSON_DEPTH} levels (at character ${deep}); send {"type":"input"|"resize"|"restart", …}`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'frame: not JSON; send {"type":"input"|"resize"|"restart", …}';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'frame: expected a JSON object';
  const m = value as Record<string, unknown>;
  switch (m['type']) {
    case 'input': {
      const data = m['data'];
      if (typeof data !== 'string' || data === '') return 'input.data: expected a non-empty string';
      if (data.length > MAX_INPUT_CHARS) return `input.data: ${data.length} characters; at most ${MAX_INPUT_CHARS} per frame`;
      return { type: 'input', data };
    }
    case 'resize': {
      const { width, height } = m;
      if (!isDimension(width) || !isDimension(height)) return `resize: width and height must be integers 1..${MAX_DIMENSION}`;
      return { type: 'resize', width, height };
    }
    case 'restart':
      return { type: 'restart' };
    default:
      return `type: ${JSON.stringify(m['type']) ?? 'missing'}; expected "input", "resize" or "restart"`;
  }
}
