import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './http-error.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Request {
  req: IncomingMessage;
  res: ServerResponse;
  /** `:name` segments of the route pattern, URL-decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
}

/** What a handler returns: a status and a JSON body (none for 204). */
export interface Reply {
  status: number;
  body?: unknown;
}

export type Handler = (r: Request) => Promise<Reply> | Reply;

interface Route {
  method: Method;
  segments: string[];
  handler: Handler;
}

export type Match = { handler: Handler; params: Record<string, string> };

/** Path patterns like `/api/v1/binaries/:id/content`; 404 for unknown paths, 405 (with Allow) for other methods. */
export class Router {
  private readonly routes: Route[] = [];

  add(method: Method, pattern: string, handler: Handler): this {
    this.routes.push({ method, segments: pattern.split('/').filter(Boolean), handler });
    return this;
  }

  match(method: string, path: string): Match {
    const parts = path.split('/').filter(Boolean);
    const allowed: string[] = [];
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (params === undefined) continue;
      if (route.method === method) return { handler: route.handler, params };
      allowed.push(route.method);
    }
    if (allowed.length === 0) throw new HttpError(404, 'not_found', `${path}: no such route`);
    const error = new HttpError(405, 'method_not_allowed', `${method} ${path}: method not allowed (allowed: ${allowed.join(', ')})`);
    throw Object.assign(error, { allow: allowed.join(', ') });
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i] as string;
    const got = parts[i] as string;
    if (want.startsWith(':')) {
      try {
        params[want.slice(1)] = decodeURIComponent(got);
      } catch {
        return undefined;
      }
    } else if (want !== got) {
      return undefined;
    }
  }
  return params;
}
