import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * truncate: full Content-Length, half the bytes, then the socket closes. tamper: one byte flipped.
 * ignore-range: answers 200 with everything even to a Range request.
 */
export type Fault = 'truncate' | 'tamper' | 'no-length' | 'not-found' | 'ignore-range';

export interface BinaryHost {
  url(name: string): string;
  put(name: string, content: Buffer): void;
  /** `times`: how many requests the fault hits before it clears itself (default: until changed). */
  fault(name: string, fault: Fault | undefined, times?: number): void;
  readonly requests: { path: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

/** A local binary host on 127.0.0.1: Content-Length, `Range: bytes=N-` → 206, injectable faults. */
export async function startBinaryHost(): Promise<BinaryHost> {
  const blobs = new Map<string, Buffer>();
  const faults = new Map<string, { fault: Fault; left: number }>();
  const requests: BinaryHost['requests'] = [];
  const server = createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').split('?')[0]?.slice(1) ?? '');
    requests.push({ path: req.url ?? '', headers: req.headers });
    const blob = blobs.get(name);
    const armed = faults.get(name);
    const fault = armed?.fault;
    if (armed !== undefined && --armed.left <= 0) faults.delete(name);
    if (blob === undefined || fault === 'not-found') {
      res.writeHead(404).end();
      return;
    }
    const range = fault === 'ignore-range' ? null : /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    let body = blob.subarray(start);
    if (fault === 'tamper') {
      body = Buffer.from(body);
      body[body.length >> 1] = (body[body.length >> 1] ?? 0) ^ 0xff;
    }
    const headers: Record<string, string> = { 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' };
    if (fault !== 'no-length') headers['content-length'] = String(body.length);
    if (range) headers['content-range'] = `bytes ${start}-${blob.length - 1}/${blob.length}`;
    res.writeHead(range ? 206 : 200, headers);
    if (fault === 'truncate') {
      res.write(body.subarray(0, body.length >> 1), () => res.destroy());
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (name) => `http://127.0.0.1:${port}/${encodeURIComponent(name)}?X-Amz-Signature=secret`,
    put: (name, content) => blobs.set(name, content),
    fault: (name, fault, times = Infinity) => (fault === undefined ? faults.delete(name) : faults.set(name, { fault, left: times })),
    requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
