import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { VfleetError, parseCertificate } from '@vfleet/core';
import type { Scenario } from './scenario.js';

/** `host[:port]` → host and port (443 by default, as peridiod uses). */
export function splitHostPort(value: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:]+)(?::(\d+))?$/.exec(value);
  return { host: (m?.[1] ?? value).replace(/^\[|\]$/g, ''), port: m?.[2] ? Number(m[2]) : 443 };
}

/** Resolves once a TCP connection to host:port opens; rejects after `timeoutMs` or on refusal. */
export function probeTcp(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/**
 * Everything that can be known wrong before a device starts: the device API CA and a reachable
 * device API for a real backend. Each failure is one line naming the flag or key.
 */
export async function preflightTarget(s: Scenario, timeoutMs = 5000): Promise<void> {
  const t = s.target;
  if (t.deviceApi === undefined) return;
  if (t.deviceApiCa === undefined) throw new VfleetError('VFLEET_USAGE', `device API ${t.deviceApi}: give the CA its devices trust (--device-api-ca FILE or target.device_api_ca)`);
  let pem: string;
  try {
    pem = readFileSync(t.deviceApiCa, 'utf8');
  } catch (cause) {
    throw new VfleetError('VFLEET_USAGE', `device API CA ${t.deviceApiCa}: cannot read: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause });
  }
  parseCertificate(pem, `device API CA ${t.deviceApiCa}`);
  const { host, port } = splitHostPort(t.deviceApi);
  try {
    await probeTcp(host, port, timeoutMs);
  } catch (cause) {
    const why = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
    throw new VfleetError('VFLEET_USAGE', `device API ${t.deviceApi} unreachable: ${why}`, { cause });
  }
}
