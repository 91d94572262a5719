import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveTools } from '@vfleet/core/test-support';
import { runVfleet } from '../test-support/run-vfleet.js';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
const canary = join(repo, 'fixtures', 'scenarios', 'evk-canary.yaml');
let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'vfleet-cli-load-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const vfleet = (...argv: string[]) => runVfleet(join(root, 'home'), argv, { errSeparator: '' });

// C0 controls but newline, DEL and C1: what would reach the terminal as a control sequence
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

describe('vfleet load', () => {
  it('runs fixtures/scenarios/evk-canary.yaml, passes, and writes JSON, JUnit and HTML reports that render with their charts', async () => {
    const out = join(root, 'canary');
    const r = await vfleet('load', canary, '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^evk-canary: PASS · 6\/6 updated/);
    expect(readdirSync(out).sort()).toEqual(['evk-canary.html', 'evk-canary.json', 'evk-canary.junit.xml']);
    const report = JSON.parse(readFileSync(join(out, 'evk-canary.json'), 'utf8')) as { complete: boolean; pass: boolean; exitCode: number; metrics: Record<string, { count: number }> };
    expect([report.complete, report.pass, report.exitCode]).toEqual([true, true, 0]);
    expect(report.metrics['time_to_update']?.count).toBe(6);
    const junit = readFileSync(join(out, 'evk-canary.junit.xml'), 'utf8');
    expect(junit).toMatch(/<testsuite name="vfleet load evk-canary" tests="8" failures="0" errors="0"/);
    expect(junit).not.toMatch(/<failure/);

    if (!haveTools('chromium')) return;
    const { chromium } = await import('playwright-core');
    const profile = mkdtempSync(join(root, 'chromium-profile-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await context.newPage();
      const requests: string[] = [];
      page.on('request', (req) => requests.push(req.url()));
      await page.setViewportSize({ width: 1100, height: 900 });
      await page.goto(`file://${join(out, 'evk-canary.html')}`);
      expect(await page.textContent('#verdict')).toBe('PASS');
      const charts = await page.$$eval('svg.chart', (svgs) =>
        svgs.map((s) => {
          const box = s.getBoundingClientRect();
          // a flat series is a line of zero height; a bar needs both
          const marks = [...s.querySelectorAll('path.series, rect.bar')].filter((e) => {
            const b = e.getBoundingClientRect();
            return e.tagName === 'path' ? b.width > 0 : b.width > 0 && b.height > 0;
          });
          return { chart: s.getAttribute('data-chart'), width: box.width, height: box.height, marks: marks.length };
        }),
      );
      for (const kind of ['timeline', 'errors', 'connect', 'poll_latency', 'install', 'time_to_update']) {
        const c = charts.find((x) => x.chart === kind);
        expect(c, kind).toBeDefined();
        expect(c?.width, kind).toBeGreaterThan(300);
        expect(c?.height, kind).toBeGreaterThan(100);
        expect(c?.marks, kind).toBeGreaterThan(0);
      }
      const png = join(root, 'evk-canary.png');
      await page.screenshot({ path: png, fullPage: true });
      expect(statSync(png).size).toBeGreaterThan(20_000);
      // self-contained: the only request is the page itself
      expect(requests).toEqual([`file://${join(out, 'evk-canary.html')}`]);
    } finally {
      await context.close();
    }
  }, 180_000);

  it('exits 1 on an impossible threshold and its JUnit case says why', async () => {
    const file = join(root, 'impossible.yaml');
    writeFileSync(file, [
      'name: impossible',
      'release: {name: load-1.2.0, version: 1.2.0, create: {binary: 64KiB}}',
      'phases:',
      '  - provision: {count: 2, poll_interval: 500ms}',
      '  - ramp: {rate: 20/s}',
      '  - wait: {until: all online, timeout: 30s}',
      '  - rollout: [enable]',
      '  - wait: {until: all on 1.2.0, timeout: 60s}',
      'thresholds:',
      '  - errors == 0',
      '  - p50(time_to_update) < 1ms',
      '',
    ].join('\n'));
    const out = join(root, 'impossible');
    const r = await vfleet('load', file, '--out', out);
    expect(r.code, r.err).toBe(1);
    expect(r.out).toMatch(/^impossible: FAIL · 2\/2 updated/);
    expect(r.out).toMatch(/FAIL p50\(time_to_update\) < 1ms \(measured \d/);
    const junit = readFileSync(join(out, 'impossible.junit.xml'), 'utf8');
    expect(junit).toMatch(/tests="4" failures="1" errors="0"/);
    expect(junit).toMatch(/<testcase classname="vfleet load impossible\.thresholds" name="p50\(time_to_update\) &lt; 1ms" time="[\d.]+">\s*<failure message="measured [\d.]+m?s" type="threshold">p50\(time_to_update\) &lt; 1ms: failed, measured/);
    expect(junit).toMatch(/<testcase classname="vfleet load impossible\.thresholds" name="errors == 0" time="[\d.]+"><\/testcase>/);
  }, 120_000);

  it('runs from flags alone: N devices, a created release, thresholds', async () => {
    const out = join(root, 'flags');
    const r = await vfleet('load', '--name', 'quick', '--devices', '3', '--rate', '30/s', '--poll-interval', '500ms', '--binary-size', '32K', '--timeout', '60s', '--threshold', 'updated == 3', '--threshold', 'p99(poll_latency) < 5s', '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^quick: PASS · 3\/3 updated/);
    expect(existsSync(join(out, 'quick.html'))).toBe(true);
  }, 120_000);

  it('stops in order on Ctrl-C: teardown, an incomplete report, exit 2', async () => {
    const file = join(root, 'long.yaml');
    writeFileSync(file, 'name: long\nphases:\n  - provision: {count: 2, poll_interval: 1s}\n  - ramp: {rate: 20/s}\n  - wait: {until: all online, timeout: 60s}\n  - steady: {duration: 10m}\n  - teardown\n');
    const out = join(root, 'long-out');
    const child = spawn(process.execPath, [join(repo, 'apps/cli/bin/vfleet.js'), '--home', join(root, 'home'), 'load', file, '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    let sent = false;
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      // the backend is up and devices are being made: a run in progress
      if (!sent && /embedded backend/.test(err)) {
        sent = true;
        setTimeout(() => child.kill('SIGINT'), 2000);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code, err).toBe(2);
    expect(err).toMatch(/stopping \(Ctrl-C again to force\)/);
    const report = JSON.parse(readFileSync(join(out, 'long.json'), 'utf8')) as { complete: boolean };
    expect(report.complete).toBe(false);
  }, 120_000);

  it('refuses what cannot run with one line and exit 2, before anything starts', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    const bad = join(root, 'bad.yaml');
    writeFileSync(bad, 'name: bad\nphases:\n  - provision: {count: 2}\n  - ramp: {rate: quick}\n');
    const ca = join(root, 'ca.pem');
    writeFileSync(ca, '');
    const cases: Array<[string[], RegExp]> = [
      [['load', bad], /^vfleet: .*bad\.yaml:4:18: phases\[1\]\.ramp\.rate: "quick" is not a rate like 50\/s or 600\/m$/],
      [['load', join(root, 'missing.yaml')], /^vfleet: .*missing\.yaml: cannot read the scenario: ENOENT/],
      [['load', canary, '--device-api', `127.0.0.1:${closed}`], /^vfleet: --device-api 127\.0\.0\.1:\d+: give the CA its devices trust with --device-api-ca FILE$/],
      [['load', '--device-api', `127.0.0.1:${closed}`, '--device-api-ca', join(root, 'nope.pem')], /^vfleet: device API CA .*nope\.pem: cannot read: ENOENT$/],
      [['load', '--device-api', 'https://x', '--device-api-ca', ca], /^vfleet: --device-api "https:\/\/x": expected host or host:port without a scheme$/],
      [['load', '--threshold', 'p95(time_to_update) < soon'], /^vfleet: --threshold "p95\(time_to_update\) < soon": "soon" is not a duration like 120s/],
      [['load', canary, '--devices', '10'], /^vfleet: --devices: .*evk-canary\.yaml has 0 numbered provision phase\(s\) and the EVK devices/],
      [['load', canary, '--rate', '5/s'], /^vfleet: --rate applies without a scenario file; .*evk-canary\.yaml says that itself$/],
      [['load', canary, '--poll-interval', '5s'], /^vfleet: --poll-interval applies without a scenario file/],
      [['load', '--runtime', 'lxc'], /^vfleet: --runtime "lxc": expected one of inproc, process, namespace, docker, podman$/],
      // a release from flags gets the backend's rules before the backend starts, as a scenario file's does
      [['load', '--version', 'nope'], /^vfleet: --version "nope": major "nope" is not a number/],
      [['load', '--version', '01.2.3'], /^vfleet: --version "01\.2\.3": major "01" has a leading zero/],
      [['load', '--version', '2.0.0', '--binary-size', '9GiB'], /^vfleet: --binary-size 9663676416: 9663676416 bytes; the embedded backend accepts binaries of at most 8589934592 \(8 GiB\)$/],
      [['load', '--release', 'r'.repeat(95), '--version', '2.0.0', '--binary-size', '1MiB'], /^vfleet: --release "r{95}": 95 characters; a created release has at most 92 \(its artifact is named <name>-payload, at most 100\)$/],
    ];
    for (const [argv, message] of cases) {
      const r = await vfleet(...argv, '--out', join(root, 'never'));
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err.trim().split('\n'), argv.join(' ')).toHaveLength(1);
      expect(r.err.trim(), argv.join(' ')).toMatch(message);
    }
    expect(existsSync(join(root, 'never'))).toBe(false);
    // where the reports cannot go is said before the run, not after it
    mkdirSync(join(root, 'taken', 'q.json'), { recursive: true });
    for (const [out, message] of [
      [join(ca, 'sub'), /^vfleet: reports in .*ca\.pem\/sub: .*ca\.pem is not a folder$/],
      [join(root, 'taken'), /^vfleet: reports in .*taken: .*taken\/q\.json exists and is not a file$/],
    ] as const) {
      const r = await vfleet('load', '--name', 'q', '--devices', '1', '--out', out);
      expect([r.code, r.err.trim()]).toEqual([2, expect.stringMatching(message)]);
    }
  });

  it('says an unreachable device API in one line, with exit 2', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    // any certificate will do: the CA is checked before the connection
    await vfleet('init');
    const ca = join(root, 'home', 'pki', 'ca', 'root-certificate.pem');
    const r = await vfleet('load', '--device-api', `127.0.0.1:${closed}`, '--device-api-ca', ca, '--release', 'r', '--version', '1.0.0', '--out', join(root, 'never'));
    expect(r.code).toBe(2);
    expect(r.err.trim()).toMatch(new RegExp(`^vfleet: device API 127\\.0\\.0\\.1:${closed} unreachable: ECONNREFUSED$`));
  });
});

describe('vfleet load on a terminal', () => {
  it('prints a scenario value it refuses escaped, before anything starts', async () => {
    const file = join(root, 'hostile.yaml');
    // YAML's "\e" is ESC: ESC [2J clears the screen
    writeFileSync(file, 'name: hostile\nphases:\n  - provision: {count: 1, cohort: "\\e[2J\\u009b"}\n  - teardown\n');
    const r = await vfleet('load', file, '--out', join(root, 'out'));
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/^vfleet: .*hostile\.yaml:3:\d+: phases\[0\]\.provision\.cohort: "\\u001b\[2J\\u009b": expected one of /);
    expect(r.out).not.toMatch(RAW_CONTROL);
    expect(r.err).not.toMatch(RAW_CONTROL);
  }, 120_000);

  it('a refusal quoting a file name is escaped too', async () => {
    const r = await vfleet('load', join(root, 'gone\x1b[2J.yaml'), '--out', join(root, 'never'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^vfleet: .*gone\\u001b\[2J\.yaml: cannot read the scenario: ENOENT/);
    expect(r.err).not.toMatch(RAW_CONTROL);
  });
});
