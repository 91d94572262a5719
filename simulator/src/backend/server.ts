import { createServer as createHttpServer, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { debuglog } from 'node:util';
import { VfleetError } from '@vfleet/core';
import { workspacePaths } from '../workspace/home.js';
import { readWorkspace } from '../workspace/load.js';
import { createAdminServer, loadOrCreateAdminToken, type AdminServer } from './admin/index.js';
import { bearerChecker } from './admin/auth.js';
import { attachConsoleRelay, type ConsoleRelay } from './console/index.js';
import { createBinaryHandler, type BinaryFault } from './binaries/serve.js';
import { createUrlSigner } from './binaries/signed-url.js';
import { loadOrCreateUrlSecret } from './binaries/url-secret.js';
import { createDeviceAuthenticator } from './device-api/auth.js';
import { createDeviceRouter, pathOf } from './device-api/router.js';
import { createPhoenixSocketServer, type PhoenixSocketServer, type SocketEvent } from './socket/index.js';
import { failureLine } from './failure-line.js';
import { openStore, type Store } from './store/index.js';
import { storeOpenError } from './store/open-error.js';
import { ensureServerIdentity } from './tls/server-identity.js';
import { createTunnelPlane, socketDirFor } from './wireguard/tunnel-plane.js';
import { createTunnelService, type TunnelService } from './wireguard/tunnel-service.js';

export interface BackendOptions {
  home: string;
  /** Address the device API binds (default 127.0.0.1). */
  host?: string;
  /** Device API port (HTTPS + WebSocket, mTLS); 0 picks a free one. */
  port?: number;
  adminHost?: string;
  adminPort?: number;
  /** Plain-HTTP binary downloads (peridiod fetches binaries without the device-API CA, protocol §5.5). */
  binaryPort?: number;
  /** Host name devices use for the server (certificate SAN and binary URLs); default `host`. */
  publicHost?: string;
  /** Extra certificate SANs. */
  hostNames?: string[];
  /** More addresses the device API and binaries listen on, same ports (e.g. a container bridge's gateway; never 0.0.0.0). */
  listenHosts?: string[];
  /** Serve binary URLs over the mTLS device API instead of plain HTTP. */
  binaryScheme?: 'http' | 'https';
  onError?: (e: unknown) => void;
  onEvent?: (e: SocketEvent) => void;
  /** Tunnels: false keeps them control-plane only (no WireGuard peer, no listener) even where root could run one. */
  tunnelDataPlane?: boolean;
  /** How long a `requested` tunnel waits for the device's configure (default 60 s). */
  tunnelRequestTimeoutMs?: number;
}

export interface Backend {
  store: Store;
  socket: PhoenixSocketServer;
  admin: AdminServer;
  /** User sessions on device consoles (WebSocket on the admin API). */
  console: ConsoleRelay;
  /** `host:port` for peridio.json `device_api.url`. */
  deviceApiUrl: string;
  deviceApiPort: number;
  binaryPort: number;
  /** File devices trust for the device API (`device_api.certificate_path`). */
  deviceApiCaPath: string;
  adminToken: string;
  faults: Map<string, BinaryFault>;
  /** Remote access tunnels: requests, the server WireGuard peers and the 127.0.0.1 forwards. */
  tunnels: TunnelService;
  /** Device API TLS handshakes that failed so far (NODE_DEBUG=vfleet-tls logs each). */
  tlsFailures(): number;
  close(): Promise<void>;
}

const debugTls = debuglog('vfleet-tls');

/** Listens, or fails with a message naming the port and what it was for. */
const listen = (server: NetServer, port: number, host: string, what: string) =>
  new Promise<number>((resolve, reject) => {
    const fail = (e: NodeJS.ErrnoException) => {
      const why = e.code === 'EADDRINUSE' ? 'is in use (another backend running? pick another port)' : `cannot be bound: ${e.message}`;
      reject(new VfleetError('VFLEET_USAGE', `backend: ${what} port ${port} on ${host} ${why}`, { cause: e }));
    };
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      resolve((server.address() as AddressInfo).port);
    });
  });

/** Stops listening and drops open connections; resolves also for a server that never listened. */
const closeServer = (s: HttpServer): Promise<void> =>
  new Promise<void>((r) => {
    s.close(() => r());
    s.closeAllConnections();
  });

/** Starts the embedded Peridio-compatible backend: device API, socket, binaries and admin API. */
export async function startBackend(opts: BackendOptions): Promise<Backend> {
  const ws = readWorkspace(opts.home);
  const paths = workspacePaths(opts.home);
  const host = opts.host ?? '127.0.0.1';
  const publicHost = opts.publicHost ?? host;
  const dbFile = join(opts.home, 'backend.db');
  const onError = opts.onError ?? ((e: unknown) => process.emitWarning(`backend: ${failureLine(e, dbFile, opts.home)}`));
  const guarded = (work: () => void): void => {
    try {
      work();
    } catch (e) {
      onError(e);
    }
  };
  const store = openStore(dbFile, { organizationUuid: ws.organizationUuid, organizationName: ws.organizationName, onError, checkpointWorker: true });
  // whatever fails from here on closes what was opened (the store's checkpoint worker alone keeps the process alive)
  const undo: (() => unknown)[] = [() => store.close()];
  try {
    const identity = ensureServerIdentity(paths.pki, [publicHost, ...(opts.hostNames ?? [])], ws.organizationName);
    const signer = createUrlSigner(loadOrCreateUrlSecret(join(opts.home, 'backend-url-secret')));
    const adminToken = loadOrCreateAdminToken(join(opts.home, 'admin-token'));
    const faults = new Map<string, BinaryFault>();

    // Registered CAs plus the workspace root (OpenSSL builds chains up to a self-signed root).
    const anchors = () => [...store.caCertificates.list().map((c) => c.certificate_pem), ...(existsSync(paths.rootCert) ? [readFileSync(paths.rootCert, 'utf8')] : [])];
    let anchorKey = '';
    const tlsOptions = () => {
      const ca = anchors();
      anchorKey = ca.join('');
      // an empty list would make Node trust its default CAs instead: use the server CA as a harmless placeholder
      return { key: identity.keyPem, cert: identity.certPem, ca: ca.length > 0 ? ca : [identity.caPem], requestCert: true, rejectUnauthorized: true };
    };
    const https = createHttpsServer({ ...tlsOptions(), keepAliveTimeout: 120_000, headersTimeout: 15_000 });
    undo.push(() => closeServer(https));
    // A CA registered through the admin API is trusted from the next connection on: checked before
    // each handshake, recomputed only when the store changed.
    let seenGeneration = store.generation();
    https.prependListener('connection', () => {
      if (store.generation() === seenGeneration) return;
      seenGeneration = store.generation();
      if (anchors().join('') !== anchorKey) https.setSecureContext(tlsOptions());
    });

    const auth = createDeviceAuthenticator(store, (device) => store.recordEvent('jitp', device.uuid, { identifier: device.identifier }));
    const handleBinary = createBinaryHandler({
      signer,
      lookup: (uuid) => {
        const b = store.binaries.get(uuid);
        return b?.storage_path && b.size !== null ? { path: b.storage_path, size: b.size } : undefined;
      },
      faults: (uuid) => faults.get(uuid),
      onError,
      onDownload: (e) => store.recordEvent(`download_${e.phase}`, null, { binary: e.binaryUuid, bytes: e.bytes, start: e.start, remote: e.remote }),
    });
    // a request whose handler failed still gets an answer (or, mid-body, a closed connection)
    const failed = (res: ServerResponse) => (e: unknown): void => {
      onError(e);
      if (res.headersSent) res.destroy();
      else res.writeHead(500, { 'content-type': 'application/json', connection: 'close' }).end('{"error":"internal error"}');
    };
    const http = createHttpServer((req, res) => {
      handleBinary(req, res)
        .then((handled) => {
          if (!handled) res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
        })
        .catch(failed(res));
    });
    undo.push(() => closeServer(http));

    let deviceApiPort = opts.port ?? 4443;
    let binaryPort = opts.binaryPort ?? 4080;
    const binaryUrl = (uuid: string) =>
      (opts.binaryScheme ?? 'http') === 'https' ? `https://${publicHost}:${deviceApiPort}${signer.path(uuid)}` : `http://${publicHost}:${binaryPort}${signer.path(uuid)}`;
    // filled in once the socket exists; the router only calls it per request
    const tunnels: { service?: TunnelService } = {};
    const route = createDeviceRouter({
      store, auth, binaryUrl, onError,
      tunnels: { configure: (...a) => (tunnels.service as TunnelService).configure(...a), closed: (...a) => (tunnels.service as TunnelService).closed(...a) },
    });
    https.on('request', (req, res) => {
      // polls skip the binary handler's URL parse and promise: only a /binaries/… path can be a download
      if (pathOf(req.url)?.startsWith('/binaries/') === true) {
        handleBinary(req, res)
          .then((handled) => (handled ? undefined : route(req, res)))
          .catch(failed(res));
      } else {
        route(req, res).catch(failed(res));
      }
    });
    // refused handshakes are mostly the client's problem: counted, and logged only under NODE_DEBUG=vfleet-tls
    // (a server key that no longer works would otherwise fail every device without a trace)
    let tlsFailures = 0;
    https.on('tlsClientError', (e, tlsSocket) => {
      tlsFailures++;
      debugTls('device API handshake from %s failed: %s', tlsSocket.remoteAddress, e.message);
    });

    // the relay attaches to the admin server, which starts after the socket
    const consoleRelay: { current?: ConsoleRelay } = {};
    const socket = createPhoenixSocketServer({
      server: https,
      authenticate: (req) => {
        const a = auth.authenticate(req.socket as TLSSocket);
        return a.ok ? { deviceUuid: a.device.uuid, identifier: a.device.identifier } : null;
      },
      // each consumer on its own: a store that cannot record an event must not cost the relay or the caller theirs
      onEvent: (e) => {
        guarded(() => {
          if (e.kind === 'online' || e.kind === 'offline') store.setDeviceOnline(e.deviceUuid, e.kind === 'online');
          if (e.kind !== 'heartbeat') store.recordEvent(`socket_${e.kind}`, e.deviceUuid, e);
        });
        guarded(() => consoleRelay.current?.onSocketEvent(e));
        guarded(() => opts.onEvent?.(e));
      },
    });
    undo.push(() => socket.close());

    const tunnelPlane = createTunnelPlane(opts.tunnelDataPlane === false ? { missing: 'disabled by the backend options', onError } : { onError, socketDir: socketDirFor(opts.home) });
    const tunnelService = createTunnelService({
      store, socket, plane: tunnelPlane, home: opts.home, endpointHost: publicHost, onError,
      ...(opts.tunnelRequestTimeoutMs === undefined ? {} : { requestTimeoutMs: opts.tunnelRequestTimeoutMs }),
    });
    tunnels.service = tunnelService;
    undo.push(() => tunnelService.stop());

    const extraListeners: NetServer[] = [];
    undo.push(() => extraListeners.forEach((l) => l.close()));
    deviceApiPort = await listen(https, deviceApiPort, host, 'device API');
    binaryPort = await listen(http, binaryPort, host, 'binary');
    for (const extra of opts.listenHosts ?? []) {
      for (const [server, port, what] of [[https, deviceApiPort, 'device API'], [http, binaryPort, 'binary']] as const) {
        if (/^(0\.0\.0\.0|::|\[::\])$/.test(extra)) throw new VfleetError('VFLEET_USAGE', `backend: listenHosts ${extra}: listen on specific addresses, not every interface`);
        const relay = createNetServer((conn) => server.emit('connection', conn));
        extraListeners.push(relay);
        await listen(relay, port, extra, what);
      }
    }
    const admin = await createAdminServer({
      store,
      token: adminToken,
      storageDir: join(opts.home, 'artifacts'),
      host: opts.adminHost ?? '127.0.0.1',
      port: opts.adminPort ?? 4000,
      onError,
      hooks: {
        pushToDevice: (uuid, topic, event, payload) => socket.push(uuid, topic, event, payload),
        requestTunnel: (uuid, request) => Promise.resolve(tunnelService.request(uuid, request)),
        closeTunnel: (uuid) => tunnelService.close(uuid),
        extendTunnel: (uuid, ttlSeconds) => Promise.resolve(tunnelService.extend(uuid, ttlSeconds)),
        tunnelDataPlane: (uuid) => tunnelService.dataPlane(uuid),
      },
    }).catch((e: unknown) => {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
      throw new VfleetError('VFLEET_USAGE', `backend: admin API port ${opts.adminPort ?? 4000} is in use (another backend running? pick another port)`, { cause: e });
    });
    undo.push(() => admin.close());
    const consoles = attachConsoleRelay({ server: admin.server, authorized: bearerChecker(adminToken), store, socket });
    consoleRelay.current = consoles;
    undo.push(() => consoles.close());
    // only once this process owns the ports: presence left by a previous run is stale
    try {
      store.resetPresence();
    } catch (e) {
      throw storeOpenError(dbFile, e);
    }
    await tunnelService.resume();

    return {
      store,
      socket,
      admin,
      console: consoles,
      deviceApiUrl: `${publicHost.includes(':') ? `[${publicHost}]` : publicHost}:${deviceApiPort}`,
      deviceApiPort,
      binaryPort,
      deviceApiCaPath: identity.caPath,
      adminToken,
      faults,
      tunnels: tunnelService,
      tlsFailures: () => tlsFailures,
      async close() {
        await tunnelService.stop();
        for (const l of extraListeners) l.close();
        await socket.close();
        await consoles.close();
        await admin.close();
        await Promise.all([https, http].map(closeServer));
        store.close();
      },
    };
  } catch (e) {
    for (const close of undo.reverse()) {
      try {
        await close();
      } catch {
        // the start failure is what the caller needs to see, not a close that failed after it
      }
    }
    throw e;
  }
}
