#!/usr/bin/env node
// The floor under every in-process device start, without vfleet: N distinct device identities (P-256
// certificate + key in PEM, as device directories hold them) each building its own TLS context and making
// one mTLS connection to a Node TLS server in a child process (as the embedded backend runs in the
// fleet-start bench). Reports connections/s and CPU ms per connection on both sides. Prints one JSON object.
// Usage: node bench/tls-handshake.mjs [N=1000] [concurrency=50]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, connect, createSecureContext } from 'node:tls';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createDeviceIdentity, createIntermediateCa, createRootCa, createServerCertificate } from '@vfleet/core';
import { useLauncherAllocator } from './lib/allocator.mjs';

// parent and children (clients, server) alike: LD_PRELOAD passes to them
const allocator = process.argv[2] === 'server' || process.argv[2] === 'client' ? undefined : useLauncherAllocator();

const me = fileURLToPath(import.meta.url);
const cpuMs = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; };

if (process.argv[2] === 'server') {
  const pki = JSON.parse(readFileSync(0, 'utf8'));
  const srv = createServer({ key: pki.server.keyPem, cert: pki.server.certPem, ca: [pki.root.certPem, pki.intermediate.certPem], requestCert: true, rejectUnauthorized: true }, (s) => { s.on('error', () => undefined); s.end(); });
  srv.on('tlsClientError', () => undefined);
  process.on('SIGUSR2', () => process.stdout.write(`${cpuMs()}\n`));
  srv.listen(0, '127.0.0.1', () => process.stdout.write(`${srv.address().port}\n`));
} else {
  const n = Number(process.argv[2] ?? 1000);
  const concurrency = Number(process.argv[3] ?? 50);
  const root = createRootCa({ commonName: 'bench root' });
  const intermediate = createIntermediateCa({ commonName: 'bench intermediate', issuer: root });
  const server = createServerCertificate({ hosts: ['localhost', '127.0.0.1'], issuer: root });
  const devices = Array.from({ length: n }, (_, i) => createDeviceIdentity({ deviceId: `HS-${i}`, issuer: intermediate }));
  const child = spawn(process.execPath, [me, 'server'], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.end(JSON.stringify({ root, intermediate, server }));
  let stopping = false;
  child.on('exit', (code, sig) => { if (!stopping) console.error('server exited', code, sig); });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = (await lines.next()).value;
  const port = Number(first);
  if (!(port > 0)) throw new Error(`server said: ${first}`);
  const serverCpu = async () => { child.kill('SIGUSR2'); return Number((await lines.next()).value); };
  const s0 = await serverCpu();
  const c0 = cpuMs();
  const t0 = performance.now();
  let next = 0;
  const one = (d) => new Promise((resolve, reject) => {
    const secureContext = createSecureContext({ cert: d.certPem, key: d.keyPem, ca: root.certPem });
    const s = connect({ host: '127.0.0.1', port, servername: 'localhost', secureContext }, () => { s.destroy(); resolve(); });
    s.on('error', (e) => reject(new Error(`connection ${next}: ${e.message}`)));
  });
  await Promise.all(Array.from({ length: concurrency }, async () => { while (next < n) await one(devices[next++]); }));
  const seconds = (performance.now() - t0) / 1000;
  const clientMs = cpuMs() - c0;
  const serverMs = (await serverCpu()) - s0;
  stopping = true;
  child.kill();
  console.log(JSON.stringify({ allocator,
    bench: 'tls-handshake', n, concurrency, loadavg1: +loadavg()[0].toFixed(2),
    connectionsPerSecond: +(n / seconds).toFixed(1),
    clientCpuMsPerConnection: +(clientMs / n).toFixed(2),
    serverCpuMsPerConnection: +(serverMs / n).toFixed(2),
  }));
}
