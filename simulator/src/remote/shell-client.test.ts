// End to end: embedded backend + an in-process agent with remote_shell + the user-side client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { VfleetError } from '@vfleet/core';
import { initWorkspace } from '../workspace/init.js';
import { loadProduct } from '../product/product.js';
import { generateDevices } from '../devices/generate.js';
import { evkSpecs } from '../devices/spec.js';
import { startBackend, type Backend } from '../backend/server.js';
import { createAdminClient } from '../backend/admin-client.js';
import { seedEvk } from '../backend/evk-seed.js';
import { createAgent, type Agent } from '../agent/agent.js';
import { until } from '../test-support/device.js';
import { openShell, type ShellSession } from './shell-client.js';
import { attachTerminal } from './shell-terminal.js';

const product = loadProduct();
let root: string;
let devices: string;
let backend: Backend;
let agent: Agent;
const lines: string[] = [];
const DEVICE = 'EI-ML-0001';

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'vft-shell-'));
  const home = join(root, 'home');
  devices = join(root, 'devices');
  initWorkspace({ home });
  backend = await startBackend({ home, port: 0, adminPort: 0, binaryPort: 0 });
  await seedEvk({ home, client: createAdminClient(backend.admin.url, backend.adminToken), sizeScale: 1 / 1024 });
  await generateDevices({
    home, out: devices, cohort: 'release', env: 'file', diskBytes: 0, force: false, specs: evkSpecs(product).slice(0, 2),
    deviceApi: backend.deviceApiUrl, deviceApiCa: backend.deviceApiCaPath,
  });
  agent = await createAgent({ env: {}, deviceDir: join(devices, DEVICE), log: { sink: (l) => lines.push(l.trim()) }, console: { prefer: 'shell' } });
  await until(() => lines.some((l) => l.endsWith('[Cloud Socket] Joined Console channel: getty')), 15_000, 25);
}, 60_000);
afterAll(async () => {
  await agent?.stop();
  await backend?.close();
  rmSync(root, { recursive: true, force: true });
});

const open = (over: Partial<Parameters<typeof openShell>[0]> = {}) =>
  openShell({ adminUrl: backend.admin.url, token: backend.adminToken, device: DEVICE, ...over });

function collect(session: ShellSession) {
  let out = '';
  session.onOutput((d) => (out += d));
  return {
    see: async (pattern: RegExp, from = 0) => {
      await until(() => pattern.test(out.slice(from)), 15_000, 10).catch((e) => { console.log(JSON.stringify(out), lines.slice(-30).join('\n')); throw e; });
      return out.slice(from).match(pattern);
    },
    get length() {
      return out.length;
    },
  };
}

async function refusalOf(p: Promise<unknown>): Promise<VfleetError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(VfleetError);
  return e as VfleetError;
}

describe('remote shell through the embedded backend', () => {
  it('runs a command on the device and resizes its PTY', async () => {
    const session = await open({ size: { cols: 91, rows: 27 } });
    const out = collect(session);
    const n = 1000 + Math.floor(Math.random() * 9000);
    session.write(`echo hello-$((${n}*7)); stty size\r`);
    const m = await out.see(/hello-(\d+)\r\n(\d+ \d+)\r\n/);
    expect(m?.[1]).toBe(String(n * 7));
    expect(m?.[2]).toBe('27 91');
    const mark = out.length;
    session.resize(132, 43);
    session.write('stty size\r');
    expect((await out.see(/[\r\n](\d+ \d+)\r\n/, mark))?.[1]).toBe('43 132');
    session.write('echo $((6*7))\r');
    expect((await out.see(/[\r\n](42)\r\n/, mark))?.[1]).toBe('42');
    expect(backend.console.sessions()).toEqual([expect.any(String)]);
    session.close();
    expect(await session.ended).toEqual({ reason: 'detached', message: `detached from ${DEVICE}` });
    await until(() => backend.console.sessions().length === 0, 5_000, 10);
  });

  it('refuses a second session on a busy console, and --takeover ends the first', async () => {
    const first = await open();
    const refused = await refusalOf(open());
    expect(refused.code).toBe('VFLEET_IO');
    expect(refused.message).toMatch(/EI-ML-0001: another session is attached to its console; take it over with \?takeover=1/);
    const second = await open({ takeover: true });
    expect(await first.ended).toEqual({ reason: 'taken_over', message: `console of ${DEVICE}: another session took over this console` });
    const out = collect(second);
    second.write('echo second-$((2*21))\r');
    await out.see(/second-42/);
    second.close();
    await second.ended;
  });

  it('the same shell session survives a detach: state set in one attach is seen in the next', async () => {
    const a = await open();
    a.write('export VFT_MARK=kept-$((3*3))\r');
    await collect(a).see(/\$ |# |> /);
    a.close();
    await a.ended;
    const b = await open();
    const out = collect(b);
    b.write('echo "$VFT_MARK"\r');
    await out.see(/[\r\n]kept-9\r\n/);
    b.close();
    await b.ended;
  });

  it('attachTerminal: raw mode on and restored, keystrokes and resize reach the device, ~. detaches', async () => {
    const session = await open();
    const stdin = Object.assign(new EventEmitter(), {
      isTTY: true, isRaw: false, modes: [] as boolean[],
      setRawMode(m: boolean) { this.modes.push(m); this.isRaw = m; },
      resume: () => undefined, pause: () => undefined,
    });
    let shown = '';
    const stdout = Object.assign(new EventEmitter(), { isTTY: true, columns: 100, rows: 30, write: (d: string) => (shown += d) });
    const ended = attachTerminal(session, { stdin, stdout });
    expect(stdin.isRaw).toBe(true);
    Object.assign(stdout, { columns: 77, rows: 19 });
    stdout.emit('resize');
    stdin.emit('data', Buffer.from('stty size\r'));
    await until(() => /[\r\n]19 77\r\n/.test(shown), 15_000, 10);
    stdin.emit('data', Buffer.from('~.'));
    expect((await ended).reason).toBe('detached');
    expect(stdin.modes).toEqual([true, false]);
    expect(stdin.listenerCount('data')).toBe(0);
    expect(stdout.listenerCount('resize')).toBe(0);
  });

  it('restart reaches the device: the getty banner comes back and a new shell answers', async () => {
    const session = await open();
    const out = collect(session);
    session.write('echo pid-$$\r');
    const before = (await out.see(/pid-(\d+)/))?.[1];
    const mark = out.length;
    session.restart();
    await out.see(/\*\*\* Restarting getty \*\*\*/, mark);
    session.write('echo pid-$$\r');
    const after = (await out.see(/pid-(\d+)/, mark))?.[1];
    expect(after).not.toBe(before);
    session.close();
    await session.ended;
  });

  it('bad frames from a client are answered with an error and the session goes on', async () => {
    const ws = new WebSocket(`${backend.admin.url.replace('http', 'ws')}/api/v1/devices/${DEVICE}/console/websocket`, { headers: { authorization: `Bearer ${backend.adminToken}` } });
    const got: unknown[] = [];
    ws.on('message', (d) => got.push(JSON.parse(String(d))));
    await new Promise((r) => ws.once('open', r));
    ws.send('not json');
    ws.send(JSON.stringify({ type: 'resize', width: 0, height: 10 }));
    ws.send(JSON.stringify({ type: 'launch' }));
    ws.send(JSON.stringify({ type: 'input', data: 'echo ok-$((1+1))\r' }));
    await until(() => got.some((m) => JSON.stringify(m).includes('ok-2')), 15_000, 10);
    expect(got.filter((m) => (m as { type: string }).type === 'error').map((m) => (m as { message: string }).message)).toEqual([
      'frame: not JSON; send {"type":"input"|"resize"|"restart", …}',
      'resize: width and height must be integers 1..10000',
      'type: "launch"; expected "input", "resize" or "restart"',
    ]);
    ws.close();
    await new Promise((r) => ws.once('close', r));
  });

  it.each([
    ['unknown device', { device: 'EI-ML-9999' }, 'VFLEET_USAGE', /^no device "EI-ML-9999" in the backend/],
    ['offline device', { device: 'EI-ML-0002' }, 'VFLEET_IO', /^device EI-ML-0002 is offline \(not connected to the backend\)$/],
    ['wrong token', { token: 'nope' }, 'VFLEET_IO', /^missing or wrong bearer token/],
    ['no backend', { adminUrl: 'http://127.0.0.1:1' }, 'VFLEET_IO', /^admin API http:\/\/127\.0\.0\.1:1 unreachable: .*ECONNREFUSED/],
    ['not a URL', { adminUrl: 'localhost:4000' }, 'VFLEET_USAGE', /^--admin-url "localhost:4000": expected an http/],
  ])('%s: one-line refusal', async (_what, over, code, message) => {
    const e = await refusalOf(Promise.resolve().then(() => open(over)));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
    expect(e.message).not.toContain('\n');
  });

  it('other WebSocket paths on the admin port are answered 404', async () => {
    const ws = new WebSocket(`${backend.admin.url.replace('http', 'ws')}/api/v1/devices`, { headers: { authorization: `Bearer ${backend.adminToken}` } });
    const status = await new Promise<number | undefined>((r) => ws.on('unexpected-response', (_q, res) => r(res.statusCode)));
    expect(status).toBe(404);
  });

  it('two agents in one process: each console is its own PTY in its own device root', async () => {
    const other = await createAgent({ env: {}, deviceDir: join(devices, 'EI-ML-0002'), log: { sink: (l) => lines.push(`0002 ${l.trim()}`) }, console: { prefer: 'shell' } });
    try {
      await until(() => lines.some((l) => l.startsWith('0002') && l.endsWith('Joined Console channel: getty')), 15_000, 25);
      const [a, b] = await Promise.all([open(), open({ device: 'EI-ML-0002' })]);
      const [outA, outB] = [collect(a), collect(b)];
      a.write('echo "at=$(pwd)"\r');
      b.write('echo "at=$(pwd)"\r');
      expect((await outA.see(/at=(\/\S+)\r\n/))?.[1]).toBe(join(devices, DEVICE, 'root'));
      expect((await outB.see(/at=(\/\S+)\r\n/))?.[1]).toBe(join(devices, 'EI-ML-0002', 'root'));
      expect(backend.console.sessions()).toHaveLength(2);
      a.close();
      b.close();
      await Promise.all([a.ended, b.ended]);
    } finally {
      await other.stop();
    }
    expect(other.console?.active).toBe(false);
  });

  it('piped input: the commands run and the session detaches once the device is quiet', async () => {
    const session = await open();
    const stdin = Object.assign(new EventEmitter(), { isTTY: false, resume: () => undefined, pause: () => undefined });
    let shown = '';
    const stdout = Object.assign(new EventEmitter(), { isTTY: false, write: (d: string) => (shown += d) });
    const ended = attachTerminal(session, { stdin, stdout, quietAfterEndMs: 1500 });
    stdin.emit('data', Buffer.from('echo piped-$((4*4))\n'));
    stdin.emit('end');
    expect((await ended).reason).toBe('detached');
    expect(shown).toMatch(/[\r\n]piped-16\r\n/);
  });

  it('the session ends with device_gone when the device goes away', async () => {
    const session = await open();
    await agent.stop();
    const end = await session.ended;
    expect(end.reason).toBe('device_gone');
    expect(end.message).toMatch(/^device EI-ML-0001 left the console channel/);
    expect(agent.console?.active).toBe(false);
  });
});
