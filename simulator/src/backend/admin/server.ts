import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Store } from '../store/index.js';
import { bearerChecker } from './auth.js';
import { DEFAULT_MAX_UPLOAD_BYTES, type AdminContext } from './context.js';
import type { AdminHooks } from './hooks.js';
import { describeTarget, requestUrl } from '../request-url.js';
import { HttpError, toHttpError } from './http-error.js';
import { Router } from './router.js';
import { binaryContentRoutes } from './routes/binary-content.js';
import { catalogRoutes } from './routes/catalog.js';
import { deviceRoutes } from './routes/devices.js';
import { eventRoutes } from './routes/events.js';
import { tunnelRoutes } from './routes/tunnels.js';

export interface AdminServerOptions {
  store: Store;
  /** Clients send `Authorization: Bearer <token>`. */
  token: string;
  hooks: AdminHooks;
  /** Where uploaded binaries are written. */
  storageDir: string;
  host?: string;
  port?: number;
  /** Largest binary upload accepted (default 8 GiB). */
  maxUploadBytes?: number;
  /** Unexpected failures (answered with a 500); defaults to a process warning. */
  onError?: (error: unknown) => void;
}

export interface AdminServer {
  server: Server;
  /** `http://host:port`, with the port actually bound. */
  url: string;
  port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { ...headers, ...(text === '' ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }) });
  res.end(text);
}

/** The admin JSON API over node:http; listening when the promise resolves. */
export async function createAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const ctx: AdminContext = {
    store: options.store,
    hooks: options.hooks,
    storageDir: options.storageDir,
    maxUploadBytes: options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
  };
  const router = new Router();
  catalogRoutes(router, ctx.store, ctx.storageDir);
  binaryContentRoutes(router, ctx);
  deviceRoutes(router, ctx);
  tunnelRoutes(router, ctx);
  eventRoutes(router, ctx);
  const authorized = bearerChecker(options.token);
  const onError = options.onError ?? ((e: unknown) => process.emitWarning(`admin API: ${(e as Error).stack ?? String(e)}`));

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const url = requestUrl(req.url, 'http://admin.invalid');
      if (url === undefined) throw new HttpError(400, 'invalid_target', `request target ${describeTarget(req.url)}: not a path`);
      if (!authorized(req.headers.authorization)) {
        throw new HttpError(401, 'unauthorized', 'missing or wrong bearer token (Authorization: Bearer <token> from the workspace admin-token file)');
      }
      const { handler, params } = router.match(req.method ?? 'GET', url.pathname);
      const reply = await handler({ req, res, params, query: url.searchParams });
      send(res, reply.status, reply.body);
    } catch (e) {
      // The client went away mid-request (an aborted upload): nobody is left to answer.
      if (res.destroyed || (req.destroyed && !req.complete)) return;
      const error = toHttpError(e);
      if (error.status === 500) onError(e);
      const headers: Record<string, string> = {};
      if (error.status === 401) headers['www-authenticate'] = 'Bearer';
      if (error.status === 405) headers['allow'] = (e as { allow?: string }).allow ?? '';
      // The unread rest of a refused body is not worth draining; end the connection instead.
      if (!req.complete) headers['connection'] = 'close';
      const body = { error: { code: error.code, message: error.message, ...(error.field === undefined ? {} : { field: error.field }) } };
      send(res, error.status, body, headers);
    }
  };

  const server = createServer((req, res) => void handle(req, res).catch((e: unknown) => {
    onError(e);
    res.destroy();
  }));
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${host}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e === undefined ? resolve() : reject(e)));
        server.closeAllConnections();
      }),
  };
}

