import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { haveTools } from '@vfleet/core/test-support';
import {
  createAdminClient, createAgent, evkSpecs, generateDevices, initWorkspace, loadProduct, seedEvk, startBackend, type Agent, type Backend,
} from '@vfleet/simulator';
import { runVfleet } from '../test-support/run-vfleet.js';

let root: string;
let home: string;
let backend: Backend;
let agent: Agent;
const agentLines: string[] = [];

async function until(what: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'vft-shell-cli-'));
  home = join(root, 'home');
  initWorkspace({ home });
  backend = await startBackend({ home, port: 0, adminPort: 0, binaryPort: 0 });
  await seedEvk({ home, client: createAdminClient(backend.admin.url, backend.adminToken), sizeScale: 1 / 1024 });
  const devices = join(root, 'devices');
  await generateDevices({
    home, out: devices, cohort: 'release', env: 'file', diskBytes: 0, force: false, specs: evkSpecs(loadProduct()).slice(0, 2),
    deviceApi: backend.deviceApiUrl, deviceApiCa: backend.deviceApiCaPath,
  });
  agent = await createAgent({ env: {}, deviceDir: join(devices, 'EI-ML-0001'), log: { sink: (l) => agentLines.push(l) }, console: { prefer: 'shell' } });
  await until(() => agentLines.some((l) => l.includes('Joined Console channel')));
}, 60_000);
afterAll(async () => {
  await agent?.stop();
  await backend?.close();
  rmSync(root, { recursive: true, force: true });
});

const vfleet = (...argv: string[]) => runVfleet(home, argv);

describe('vfleet shell', () => {
  it.each([
    ['an unknown device', ['EI-ML-9999'], 2, /^vfleet: no device "EI-ML-9999" in the backend/],
    ['an offline device', ['EI-ML-0002'], 1, /^vfleet: device EI-ML-0002 is offline \(not connected to the backend\)$/],
    ['no backend', ['EI-ML-0001', '--admin-url', 'http://127.0.0.1:1'], 1, /^vfleet: admin API http:\/\/127\.0\.0\.1:1 unreachable: .*ECONNREFUSED.*vfleet backend/],
    ['a bad --admin-url', ['EI-ML-0001', '--admin-url', 'nope'], 2, /^vfleet: --admin-url "nope": not a URL/],
  ])('%s: one line and its exit code', async (_what, args, code, message) => {
    const url = args.includes('--admin-url') ? [] : ['--admin-url', backend.admin.url];
    const r = await vfleet('shell', ...args, ...url);
    expect(r.code).toBe(code);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err.trim()).toMatch(message);
  });

  it('a refusal quoting terminal escapes: one line with them escaped', async () => {
    const body = JSON.stringify({ error: { code: 'busy', message: 'device \u001b]0;OWNED\u0007\u001b[2J\u009b41mgone' } });
    const hostile = createServer();
    hostile.on('upgrade', (_req, socket: Duplex) => socket.end(`HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`));
    await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
    try {
      const r = await vfleet('shell', 'EI-ML-0001', '--admin-url', `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`);
      expect({ code: r.code, err: r.err }).toEqual({ code: 1, err: 'vfleet: device \\u001b]0;OWNED\\u0007\\u001b[2J\\u009b41mgone' });
    } finally {
      hostile.closeAllConnections();
      await new Promise((r) => hostile.close(r));
    }
  });

  // The real binary in a real terminal (tmux): raw mode, resize, ~. and the terminal put back (needs `npm run build`).
  const bin = fileURLToPath(new URL('../../bin/vfleet.js', import.meta.url));
  const built = existsSync(fileURLToPath(new URL('../../dist/commands/shell.js', import.meta.url)));
  const tmux = haveTools('tmux');
  it.skipIf(!built || !tmux)('in a terminal: runs a command, follows a resize, detaches with ~. and restores the terminal', async () => {
    const server = `vft-shell-${process.pid}`;
    const t = (...args: string[]) => execFileSync('tmux', ['-L', server, '-f', '/dev/null', ...args], { encoding: 'utf8' });
    const screen = () => t('capture-pane', '-p', '-J', '-S', '-200', '-t', 'vft');
    const paneSize = () => t('display-message', '-p', '-t', 'vft', '#{pane_height} #{pane_width}').trim();
    const script = `stty -g; ${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} --home ${JSON.stringify(home)} shell EI-ML-0001 --admin-url ${backend.admin.url}; echo "exit=$?"; stty -g; sleep 120`;
    t('new-session', '-d', '-s', 'vft', '-x', '90', '-y', '25', 'sh', '-c', script);
    try {
      await until(() => screen().includes('Connected to the console of EI-ML-0001'));
      t('send-keys', '-t', 'vft', '-l', 'echo $((6*7)); stty size');
      t('send-keys', '-t', 'vft', 'Enter');
      await until(() => screen().includes(`\n42\n${paneSize()}\n`));
      t('resize-window', '-t', 'vft', '-x', '120', '-y', '40');
      await new Promise((r) => setTimeout(r, 300)); // SIGWINCH reaches the client, window_size the device
      t('send-keys', '-t', 'vft', '-l', 'stty size');
      t('send-keys', '-t', 'vft', 'Enter');
      expect(paneSize()).toMatch(/^\d+ 120$/);
      await until(() => screen().includes(`\n${paneSize()}\n`));
      t('send-keys', '-t', 'vft', '-l', '~.');
      await until(() => screen().includes('exit=0'));
      const text = screen();
      expect(text).toContain('Connection to EI-ML-0001 closed.');
      const modes = [...text.matchAll(/^([0-9a-f]+(?::[0-9a-f]+){10,})$/gm)].map((m) => m[1]);
      expect(modes).toHaveLength(2);
      expect(modes[1]).toBe(modes[0]);
    } finally {
      try {
        t('kill-server');
      } catch {
        // already gone
      }
    }
  });
});
