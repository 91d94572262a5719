// Phoenix channel serializer v2 (JSON text): [join_ref, ref, topic, event, payload].
import { jsonTextTooDeep, MAX_JSON_DEPTH } from '../../json-depth.js';

export interface PhoenixFrame {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: unknown;
}

/** What could still be read from a rejected frame, so the error can be addressed to it. */
export interface FrameRejection {
  reason: string;
  joinRef: string | null;
  ref: string | null;
  topic: string | null;
}

export type ParsedFrame = { ok: true; frame: PhoenixFrame } | ({ ok: false } & FrameRejection);

export function encodeFrame(f: PhoenixFrame): string {
  return JSON.stringify([f.joinRef, f.ref, f.topic, f.event, f.payload]);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return typeof v === 'string' ? `"${v.length > 40 ? `${v.slice(0, 40)}…` : v}"` : typeof v;
}

const refOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Parses one text frame; never throws. `maxChars` bounds what is handed to JSON.parse. */
export function parseFrame(text: string, maxChars = 1024 * 1024): ParsedFrame {
  const none = { ok: false as const, joinRef: null, ref: null, topic: null };
  if (text.length > maxChars) {
    return { ...none, reason: `frame: ${text.length} characters exceeds the limit of ${maxChars}` };
  }
  const deep = jsonTextTooDeep(text);
  if (deep >= 0) {
    return { ...none, reason: `frame: nested deeper than ${MAX_JSON_DEPTH} levels (at character ${deep}); expected [join_ref, ref, topic, event, payload]` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ...none, reason: `frame: not JSON (${(e as Error).message}); expected [join_ref, ref, topic, event, payload]` };
  }
  if (!Array.isArray(value) || value.length !== 5) {
    return { ...none, reason: `frame: got ${describe(value)}; expected an array of 5 [join_ref, ref, topic, event, payload]` };
  }
  const [joinRef, ref, topic, event, payload] = value as unknown[];
  const known = { ok: false as const, joinRef: refOrNull(joinRef), ref: refOrNull(ref), topic: typeof topic === 'string' && topic !== '' ? topic : null };
  if (joinRef !== null && typeof joinRef !== 'string') {
    return { ...known, reason: `frame[0] join_ref: got ${describe(joinRef)}; expected a string or null` };
  }
  if (ref !== null && typeof ref !== 'string') {
    return { ...known, reason: `frame[1] ref: got ${describe(ref)}; expected a string or null` };
  }
  if (typeof topic !== 'string' || topic === '') {
    return { ...known, reason: `frame[2] topic: got ${describe(topic)}; expected a non-empty string` };
  }
  if (typeof event !== 'string' || event === '') {
    return { ...known, reason: `frame[3] event: got ${describe(event)}; expected a non-empty string` };
  }
  return { ok: true, frame: { joinRef, ref, topic, event, payload } };
}
