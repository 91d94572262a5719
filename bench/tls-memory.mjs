#!/usr/bin/env node
// What one idle connected socket costs a Node server, without vfleet: plain TCP, mTLS (the device API's
// handshake: P-256, client certificate checked against a CA list), mTLS after one 4-byte echo each way, and
// mTLS + one keep-alive HTTPS request, the same without TLS 1.3 session tickets (SSL_OP_NO_TICKET: less memory
// per socket, but Node then resumes no TLS 1.3 session, and the agent resumes on every REST connection).
// Each mode runs in a fresh process (allocator state from one mode must not flatter the next); clients come
// from a child process. Per socket = RSS growth after GC from N/2 to N sockets (the marginal cost once pools
// are warm), and from 0 to N. Prints one JSON object.
// Usage: node bench/tls-memory.mjs [sockets=2000]
import { spawn } from 'node:child_process';
import { constants } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as netServer, connect as netConnect } from 'node:net';
import { createServer as tlsServer, connect as tlsConnect } from 'node:tls';
import { createServer as httpsServer, Agent, request } from 'node:https';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createDeviceIdentity, createIntermediateCa, createRootCa, createServerCertificate } from '@vfleet/core';
import { useLauncherAllocator } from './lib/allocator.mjs';

// parent and children (clients, server) alike: LD_PRELOAD passes to them
const allocator = process.argv[2] === 'server' || process.argv[2] === 'client' ? undefined : useLauncherAllocator();

const me = fileURLToPath(import.meta.url);
const rssKb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise((r) => setTimeout(r, 300));
  }
};
const line = (stream) => createInterface({ input: stream })[Symbol.asyncIterator]();

async function server(mode, n, pki) {
  const tls = { key: pki.server.keyPem, cert: pki.server.certPem, ca: [pki.root.certPem, pki.intermediate.certPem], requestCert: true, rejectUnauthorized: true };
  const keep = [];
  const srv =
    mode === 'tcp' ? netServer((s) => keep.push(s))
    : mode === 'tls' ? tlsServer(tls, (s) => keep.push(s))
    : mode === 'tls-echo' ? tlsServer(tls, (s) => keep.push(s.on('data', (d) => s.write(d))))
    : httpsServer({ ...tls, keepAliveTimeout: 600_000, ...(mode === 'https-no-ticket' ? { secureOptions: constants.SSL_OP_NO_TICKET } : {}) }, (req, res) => res.end('{"status":"no_update"}'));
  srv.on('connection', (s) => s.on('error', () => undefined));
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  await settle();
  const r0 = rssKb();
  const child = spawn(process.execPath, [me, 'client', mode, String(srv.address().port)], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.write(`${JSON.stringify(pki.clients)}\n`);
  const out = line(child.stdout);
  const half = Number((await out.next()).value);
  await settle();
  const r1 = rssKb();
  child.stdin.write('more\n');
  const all = Number((await out.next()).value);
  await settle();
  const r2 = rssKb();
  child.stdin.end();
  return { sockets: all, kbPerSocket: +((r2 - r0) / all).toFixed(1), kbPerSocketSecondHalf: +((r2 - r1) / (all - half)).toFixed(1) };
}

async function client(mode, port) {
  const input = line(process.stdin);
  const ids = JSON.parse((await input.next()).value);
  const ca = ids.ca;
  const keep = [];
  let ok = 0;
  const one = (id) => new Promise((resolve) => {
    const done = () => { ok++; resolve(); };
    if (mode === 'tcp') keep.push(netConnect(port, '127.0.0.1', done).on('error', resolve));
    else if (mode.startsWith('tls')) {
      const s = tlsConnect({ host: '127.0.0.1', port, ca, cert: id.certPem, key: id.keyPem, servername: 'localhost' }, () => (mode === 'tls' ? done() : s.write('ping')));
      keep.push(s.on('error', resolve).once('data', done));
    }
    else {
      const agent = new Agent({ keepAlive: true, maxSockets: 1, ca, cert: id.certPem, key: id.keyPem, servername: 'localhost' });
      keep.push(agent);
      request({ host: '127.0.0.1', port, path: '/update', agent }, (res) => res.resume().on('end', done)).on('error', resolve).end();
    }
  });
  const halves = [ids.devices.slice(0, ids.devices.length / 2), ids.devices.slice(ids.devices.length / 2)];
  for (const [i, part] of halves.entries()) {
    for (let j = 0; j < part.length; j += 100) await Promise.all(part.slice(j, j + 100).map(one));
    console.log(ok);
    if (i === 0) await input.next();
  }
  await input.next();
  process.exit(0);
}

if (process.argv[2] === 'client') await client(process.argv[3], Number(process.argv[4]));
else if (process.argv[2] === 'server') {
  const n = Number(process.argv[4]);
  const root = createRootCa({ commonName: 'Root CA bench' });
  const intermediate = createIntermediateCa({ commonName: 'Intermediate CA bench', issuer: root });
  // a few identities reused round-robin: the server keeps each connection's peer certificate either way
  const ids = Array.from({ length: 16 }, (_, i) => createDeviceIdentity({ deviceId: `TLSMEM-${i}`, issuer: intermediate }));
  const pki = { root, intermediate, server: createServerCertificate({ hosts: ['localhost', '127.0.0.1'], issuer: root }), clients: { ca: root.certPem, devices: Array.from({ length: n }, (_, i) => ids[i % ids.length]) } };
  console.log(JSON.stringify(await server(process.argv[3], n, pki)));
  process.exit(0);
} else {
  const n = Number(process.argv[2] ?? 2000);
  const result = { bench: 'tls-memory', sockets: n, node: process.version, openssl: process.versions.openssl };
  for (const mode of ['tcp', 'tls', 'tls-echo', 'https', 'https-no-ticket']) {
    const child = spawn(process.execPath, ['--expose-gc', me, 'server', mode, String(n)], { stdio: ['ignore', 'pipe', 'inherit'] });
    result[mode] = JSON.parse((await line(child.stdout).next()).value);
  }
  result.loadAverage = loadavg().map((l) => +l.toFixed(2));
  console.log(JSON.stringify({ allocator, ...result }));
}
