import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { existsSync, rmSync } from 'node:fs';
import { VfleetError, isVfleetError } from '@vfleet/core';
import type { DeviceSelector, FleetHandle } from '../types.js';
import { MAX_LINE, type Request, type Response, type SupervisorInfo } from './protocol.js';
import { checkSocketPath } from './paths.js';

/** Bytes a slow subscriber may have queued before its events are dropped (the fleet never waits). */
const MAX_QUEUED = 8 * 1024 * 1024;

export interface ControlServer {
  path: string;
  close(): Promise<void>;
}

/** True when something answers on the socket (another supervisor runs). */
export function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

const bad = (message: string): never => {
  throw new VfleetError('VFLEET_USAGE', message);
};

function selector(p: unknown, where: string): DeviceSelector {
  if (typeof p !== 'object' || p === null) return bad(`${where}: params must be {ids}, {all: true} or {tag}`);
  const o = p as Record<string, unknown>;
  if (o['all'] === true) return { all: true };
  if (typeof o['tag'] === 'string' && o['tag'] !== '') return { tag: o['tag'] };
  if (Array.isArray(o['ids']) && o['ids'].every((x) => typeof x === 'string')) return { ids: o['ids'] as string[] };
  return bad(`${where}: params must be {ids: string[]}, {all: true} or {tag: string}`);
}

/**
 * Serves a FleetHandle on a Unix socket: JSON lines, one response per request (same `id`), and
 * `{event}` lines to clients that subscribed. Bad input gets an error response, never a crash.
 */
export async function serveFleet(fleet: FleetHandle, opts: { path: string; info: () => SupervisorInfo; onShutdown: () => void }): Promise<ControlServer> {
  const path = checkSocketPath(opts.path);
  if (existsSync(path)) {
    if (await socketAnswers(path)) throw new VfleetError('VFLEET_WORKSPACE', `a supervisor already answers on ${path} (vfleet down stops it)`);
    rmSync(path, { force: true }); // left by a supervisor that died
  }
  const clients = new Set<Socket>();

  async function handle(req: Request, subscribe: () => void, unsubscribe: () => void): Promise<unknown> {
    const where = `request ${req.id} ${req.method}`;
    switch (req.method) {
      case 'info':
        return opts.info();
      case 'devices':
        return fleet.devices();
      case 'summary':
        return fleet.summary();
      case 'subscribe':
        subscribe();
        return true;
      case 'unsubscribe':
        unsubscribe();
        return true;
      case 'shutdown':
        setImmediate(opts.onShutdown);
        return true;
      case 'logs': {
        const p = (req as { params?: { id?: unknown; limit?: unknown } }).params;
        if (typeof p?.id !== 'string') bad(`${where}: params.id must be a device id`);
        const limit = typeof p?.limit === 'number' && p.limit > 0 ? Math.min(p.limit, 10_000) : undefined;
        return fleet.logs(p?.id as string, limit === undefined ? {} : { limit });
      }
      case 'add': {
        const p = (req as { params?: { count?: unknown; cohort?: unknown; tags?: unknown } }).params;
        if (typeof p?.count !== 'number') bad(`${where}: params.count must be a number`);
        const o: { cohort?: string; tags?: string[] } = {};
        if (typeof p?.cohort === 'string') o.cohort = p.cohort;
        if (p?.tags !== undefined) {
          if (!Array.isArray(p.tags) || !p.tags.every((t): t is string => typeof t === 'string')) bad(`${where}: params.tags must be an array of strings`);
          o.tags = p.tags as string[];
        }
        return fleet.add(p?.count as number, o);
      }
      case 'start':
      case 'stop':
      case 'reboot':
      case 'kill':
      case 'remove':
        await fleet[req.method](selector((req as { params?: unknown }).params, where));
        return true;
      default:
        return bad(`request ${String((req as { id?: unknown }).id)}: unknown method ${JSON.stringify((req as { method?: unknown }).method)} (info, devices, summary, logs, add, start, stop, reboot, kill, remove, subscribe, unsubscribe, shutdown)`);
    }
  }

  const server: Server = createServer((sock) => {
    clients.add(sock);
    let buffer = '';
    let unsub: (() => void) | undefined;
    let dropped = 0;
    const send = (msg: unknown) => {
      if (!sock.destroyed) sock.write(JSON.stringify(msg) + '\n');
    };
    const subscribe = () => {
      unsub ??= fleet.subscribe((event) => {
        if (sock.writableLength > MAX_QUEUED) {
          dropped++;
          return;
        }
        if (dropped > 0) {
          send({ dropped });
          dropped = 0;
        }
        send({ event });
      });
    };
    const unsubscribe = () => {
      unsub?.();
      unsub = undefined;
    };
    const onLine = (line: string) => {
      if (line.trim() === '') return;
      let req: Request;
      try {
        req = JSON.parse(line) as Request;
        if (typeof req !== 'object' || req === null || typeof req.id !== 'number' || typeof req.method !== 'string') throw new Error('need {"id": number, "method": string}');
      } catch (e) {
        send({ id: null, ok: false, error: { code: 'VFLEET_USAGE', message: `control socket: not a request: ${(e as Error).message}` } } satisfies Response);
        return;
      }
      handle(req, subscribe, unsubscribe).then(
        (result) => send({ id: req.id, ok: true, result: result ?? null } satisfies Response),
        (e: unknown) => send({ id: req.id, ok: false, error: { code: isVfleetError(e) ? e.code : 'VFLEET_IO', message: e instanceof Error ? e.message : String(e) } } satisfies Response),
      );
    };
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.length > MAX_LINE && !buffer.includes('\n')) {
        send({ id: null, ok: false, error: { code: 'VFLEET_USAGE', message: `control socket: request longer than ${MAX_LINE} bytes` } } satisfies Response);
        sock.end();
        return;
      }
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const l of lines) onLine(l);
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      unsubscribe();
      clients.delete(sock);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new VfleetError('VFLEET_IO', `control socket ${path}: ${e.message}`, { cause: e })));
    server.listen(path, () => resolve());
  });
  return {
    path,
    async close() {
      for (const c of clients) c.end();
      await new Promise<void>((r) => server.close(() => r()));
      for (const c of clients) c.destroy();
      rmSync(path, { force: true });
    },
  };
}
