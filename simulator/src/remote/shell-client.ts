// The user side of a remote console: one session on a device's console through the backend's admin API.
import { VfleetError } from '@vfleet/core';
import { WebSocket } from 'ws';
import { CLOSE_DEVICE_GONE, CLOSE_TAKEN_OVER, MAX_INPUT_CHARS, type UserMessage } from '../backend/console/index.js';
import { peerText } from '../backend/admin-client.js';

export interface OpenShellOptions {
  /** Admin API base URL, e.g. `http://127.0.0.1:4000`. */
  adminUrl: string;
  token: string;
  /** Device identifier (`EI-ML-0001`), UUID or PRN. */
  device: string;
  /** Take the console over from another session instead of being refused. */
  takeover?: boolean;
  /** Terminal size sent as the first `window_size`. */
  size?: { cols: number; rows: number };
  signal?: AbortSignal;
  /** How long connecting may take, a refusal's body included (default 10 s). */
  timeoutMs?: number;
}

export type ShellEndReason = 'detached' | 'taken_over' | 'device_gone' | 'backend_closed';

export interface ShellEnd {
  reason: ShellEndReason;
  /** One line for the user. */
  message: string;
}

export interface ShellSession {
  /** Keystrokes to the device (console `dn`). */
  write(data: string): void;
  /** The terminal's size (console `window_size`). */
  resize(cols: number, rows: number): void;
  /** Restarts the device's getty/shell (console `restart`). */
  restart(): void;
  /** Device output as it arrives; returns an unsubscribe function. */
  onOutput(listener: (data: string) => void): () => void;
  /** The backend refused a frame (a bug in the caller, not fatal). */
  onError(listener: (message: string) => void): () => void;
  /** Ends the session (reason `detached`). */
  close(): void;
  readonly ended: Promise<ShellEnd>;
}

function wsUrl(adminUrl: string, device: string, takeover: boolean): string {
  let base: URL;
  try {
    base = new URL(adminUrl);
  } catch {
    throw new VfleetError('VFLEET_USAGE', `--admin-url ${JSON.stringify(adminUrl)}: not a URL; expected e.g. http://127.0.0.1:4000`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new VfleetError('VFLEET_USAGE', `--admin-url ${JSON.stringify(adminUrl)}: expected an http:// or https:// URL`);
  }
  const url = new URL(`/api/v1/devices/${encodeURIComponent(device)}/console/websocket`, base);
  url.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
  if (takeover) url.searchParams.set('takeover', '1');
  return url.toString();
}

/** Splits input into frames the relay accepts, never between the halves of a surrogate pair. */
function inputChunks(data: string): string[] {
  const chunks: string[] = [];
  for (let i = 0; i < data.length; ) {
    let end = Math.min(data.length, i + MAX_INPUT_CHARS);
    const last = data.charCodeAt(end - 1);
    if (end < data.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    chunks.push(data.slice(i, end));
    i = end;
  }
  return chunks;
}

/** A refusal's body is read this far; what fits is kept for the message. */
const MAX_REFUSAL_BYTES = 64 * 1024;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function refusal(status: number, body: string, device: string): VfleetError {
  let message: string | undefined;
  let code = '';
  try {
    const e: unknown = (JSON.parse(body) as { error?: unknown } | null)?.error;
    if (isObject(e)) {
      if (typeof e['message'] === 'string' && e['message'].trim() !== '') message = peerText(e['message']);
      if (typeof e['code'] === 'string') code = ` ${peerText(e['code'], 60)}`;
    }
  } catch {
    // not JSON: quote the text
  }
  // not the backend's own refusal (a proxy, another server): say what answered, with the start of its body
  message ??= `console of ${device}: HTTP ${status}${code}${body.trim() === '' ? '' : `: ${peerText(body)}`}`;
  // unknown device and malformed requests are the caller's input; offline, busy, auth are the world's state
  const usage = status === 404 || status === 400;
  return new VfleetError(usage ? 'VFLEET_USAGE' : 'VFLEET_IO', message);
}

function endOf(code: number, rawReason: string, device: string): ShellEnd {
  const reason = peerText(rawReason);
  if (code === CLOSE_TAKEN_OVER) return { reason: 'taken_over', message: `console of ${device}: ${reason || 'another session took over'}` };
  if (code === CLOSE_DEVICE_GONE) return { reason: 'device_gone', message: reason || `device ${device} left the console channel` };
  return { reason: 'backend_closed', message: `console of ${device}: the backend closed the session (${code}${reason ? ` ${reason}` : ''})` };
}

/**
 * Opens a console session on a device through the embedded backend's admin API. Resolves once the
 * relay accepted it; rejects with a one-line VfleetError when the backend is unreachable, the device
 * unknown (VFLEET_USAGE), offline or its console busy (VFLEET_IO). Reusable by the TUI.
 */
export function openShell(options: OpenShellOptions): Promise<ShellSession> {
  const url = wsUrl(options.adminUrl, options.device, options.takeover === true);
  const { device } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise<ShellSession>((resolve, reject) => {
    const ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${options.token}` },
      perMessageDeflate: false,
      handshakeTimeout: timeoutMs,
    });
    const outputs = new Set<(data: string) => void>();
    const errors = new Set<(message: string) => void>();
    let settled = false;
    let detached = false;
    let resolveEnd!: (e: ShellEnd) => void;
    const ended = new Promise<ShellEnd>((r) => (resolveEnd = r));
    const onAbort = (): void => {
      if (!settled) return fail(new VfleetError('VFLEET_IO', `console of ${device}: cancelled while connecting`));
      detached = true;
      ws.close(1000, 'detached');
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    // ws's handshake timeout is an idle timeout, which a server answering a byte at a time keeps alive
    let onDeadline = (): void => fail(new VfleetError('VFLEET_IO', `console of ${device}: the backend did not open the session within ${timeoutMs / 1000} s`));
    const deadline = setTimeout(() => onDeadline(), timeoutMs);
    const fail = (e: VfleetError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      options.signal?.removeEventListener('abort', onAbort);
      ws.terminate();
      reject(e);
    };

    ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const refused = (): void => {
        res.destroy();
        fail(refusal(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), device));
      };
      onDeadline = refused; // a refusal still arriving at the deadline: say what came
      res.on('data', (c: Buffer) => {
        if (settled) return;
        chunks.push(c.subarray(0, MAX_REFUSAL_BYTES - size));
        size += c.length;
        if (size >= MAX_REFUSAL_BYTES) refused();
      });
      res.on('end', refused);
      res.on('error', refused);
    });
    ws.on('error', (e) => {
      fail(new VfleetError('VFLEET_IO', `admin API ${options.adminUrl} unreachable: ${e.message} (is \`vfleet backend\` running?)`, { cause: e }));
    });
    const send = (m: UserMessage): void => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m));
    };
    // frames the client does not understand (not JSON, not an object, unknown type) are dropped
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let m: unknown;
      try {
        m = JSON.parse(String(data));
      } catch {
        return;
      }
      if (!isObject(m)) return;
      const { type, data: output, message } = m;
      if (type === 'output' && typeof output === 'string') outputs.forEach((l) => l(output));
      else if (type === 'error' && typeof message === 'string') errors.forEach((l) => l(peerText(message)));
    });
    ws.on('close', (code, reasonBuf) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (!settled) return fail(new VfleetError('VFLEET_IO', `console of ${device}: the backend closed the connection while opening it (${code})`));
      resolveEnd(detached ? { reason: 'detached', message: `detached from ${device}` } : endOf(code, reasonBuf.toString('utf8'), device));
    });
    ws.on('open', () => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (options.size !== undefined) send({ type: 'resize', width: options.size.cols, height: options.size.rows });
      resolve({
        write: (data) => {
          for (const chunk of inputChunks(data)) send({ type: 'input', data: chunk });
        },
        resize: (cols, rows) => send({ type: 'resize', width: cols, height: rows }),
        restart: () => send({ type: 'restart' }),
        onOutput(listener) {
          outputs.add(listener);
          return () => outputs.delete(listener);
        },
        onError(listener) {
          errors.add(listener);
          return () => errors.delete(listener);
        },
        close: onAbort,
        ended,
      });
    });
  });
}
