// The user side of a tunnel: a TCP listener on 127.0.0.1 whose connections are relayed to the
// device's tunnel address and service port, through the server's WireGuard interface.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface PortForward {
  port: number;
  close(): Promise<void>;
}

export interface PortForwardOptions {
  /** 0 picks a free port; a taken port falls back to a free one. */
  port: number;
  target: { host: string; port: number };
  connectTimeoutMs?: number;
  /** Whether a client address may connect (the tunnel's cidr_block_allowlist); everyone when absent. */
  allow?: (address: string | undefined) => boolean;
  onError?: (e: Error) => void;
}

const listen = (server: Server, port: number) =>
  new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });

export async function startPortForward(opts: PortForwardOptions): Promise<PortForward> {
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  const server = createServer({ pauseOnConnect: true }, (client) => {
    if (opts.allow !== undefined && !opts.allow(client.remoteAddress)) {
      client.destroy();
      return;
    }
    track(client);
    const upstream = connect({ host: opts.target.host, port: opts.target.port });
    track(upstream);
    upstream.setTimeout(opts.connectTimeoutMs ?? 10_000, () => upstream.destroy(new Error(`no connection to ${opts.target.host}:${opts.target.port} within the timeout`)));
    upstream.once('connect', () => {
      upstream.setTimeout(0);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    const end = (e?: Error) => {
      if (e && e.message !== '') opts.onError?.(e);
      client.destroy();
      upstream.destroy();
    };
    client.once('error', () => end());
    upstream.once('error', end);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  let port: number;
  try {
    port = await listen(server, opts.port);
  } catch (e) {
    if (opts.port === 0 || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    port = await listen(server, 0);
  }
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
