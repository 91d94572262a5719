// Phoenix serializer v2 (JSON text frames): [join_ref, ref, topic, event, payload].

export interface Frame {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: unknown;
}

export function encodeFrame(f: Frame): string {
  return JSON.stringify([f.joinRef, f.ref, f.topic, f.event, f.payload]);
}

const refOf = (v: unknown): string | null | undefined => (v === null || typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

/** The frame, or a reason it is not one (the client logs and ignores it). */
export function decodeFrame(text: string): Frame | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (!Array.isArray(value) || value.length !== 5) return 'expected an array of 5 [join_ref, ref, topic, event, payload]';
  const [joinRef, ref, topic, event, payload] = value as unknown[];
  const j = refOf(joinRef);
  const r = refOf(ref);
  if (j === undefined || r === undefined) return 'join_ref and ref must be strings or null';
  if (typeof topic !== 'string' || typeof event !== 'string') return 'topic and event must be strings';
  return { joinRef: j, ref: r, topic, event, payload };
}
