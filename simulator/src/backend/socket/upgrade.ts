import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { describeTarget, requestUrl } from '../request-url.js';

export const PHOENIX_VSN = '2.0.0';

export type UpgradeCheck = { kind: 'ours' } | { kind: 'other_path' } | { kind: 'reject'; status: number; message: string };

/** Decides from the request line alone whether an upgrade is for this socket and speaks our serializer. */
export function checkUpgrade(req: IncomingMessage, path: string): UpgradeCheck {
  const url = requestUrl(req.url, 'http://localhost');
  if (url === undefined) return { kind: 'reject', status: 400, message: `request target ${describeTarget(req.url)}: not a path` };
  if (url.pathname !== path) return { kind: 'other_path' };
  const vsn = url.searchParams.get('vsn');
  if (vsn !== PHOENIX_VSN) {
    const got = vsn === null ? 'no vsn' : `vsn=${vsn}`;
    return { kind: 'reject', status: 400, message: `${path}: ${got}; this server speaks the Phoenix serializer vsn=${PHOENIX_VSN}` };
  }
  return { kind: 'ours' };
}

/** Answers an upgrade request with a plain HTTP error and closes the socket. */
export function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return;
  const body = `${message}\n`;
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\n` +
      `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
