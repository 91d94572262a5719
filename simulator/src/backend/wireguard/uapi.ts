// wireguard-go's configuration protocol (the cross-platform UAPI): `set=1`/`get=1` blocks of
// `key=value` lines over its Unix socket, answered with `errno=N`.
import { createConnection } from 'node:net';
import { VfleetError } from '@vfleet/core';

export const keyToHex = (base64: string): string => Buffer.from(base64, 'base64').toString('hex');

/** Sends one request block and resolves with the answer's `key=value` lines (errno checked). */
export function uapiRequest(socketPath: string, lines: readonly string[], timeoutMs = 5000): Promise<[string, string][]> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(socketPath);
    let text = '';
    const fail = (why: string, cause?: unknown) => {
      sock.destroy();
      reject(new VfleetError('VFLEET_IO', `wireguard-go ${socketPath}: ${why}`, cause === undefined ? undefined : { cause }));
    };
    sock.setTimeout(timeoutMs, () => fail(`no answer within ${timeoutMs} ms`));
    sock.on('error', (e) => fail(e.message, e));
    sock.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (!text.endsWith('\n\n')) return;
      sock.end();
      const pairs = text.trim().split('\n').map((l): [string, string] => {
        const i = l.indexOf('=');
        return [l.slice(0, i), l.slice(i + 1)];
      });
      const errno = pairs.find(([k]) => k === 'errno')?.[1];
      if (errno !== '0') return fail(`request refused (errno=${errno ?? 'none'})`);
      resolve(pairs.filter(([k]) => k !== 'errno'));
    });
    sock.write(`${lines.join('\n')}\n\n`);
  });
}
