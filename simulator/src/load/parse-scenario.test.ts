import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fixturesDir } from '../fixtures-path.js';
import { parseScenario, readScenario, ScenarioError } from './parse-scenario.js';

const minimal = (extra = '') => `name: t\nphases:\n  - provision: {count: 3}\n  - ramp: {rate: 10/s}\n${extra}`;

function issueOf(source: string): string {
  try {
    parseScenario(source, 'x.yaml', '/base');
  } catch (e) {
    if (e instanceof ScenarioError) return e.message;
    throw e;
  }
  throw new Error('parsed without error');
}

describe('scenario files', () => {
  it.each(['evk-canary', 'rollout-1000', 'soak'])('fixtures/scenarios/%s.yaml is valid', (name) => {
    const s = readScenario(join(fixturesDir, 'scenarios', `${name}.yaml`));
    expect(s.name).toBe(name);
    expect(s.phases.length).toBeGreaterThan(3);
    expect(s.thresholds.length).toBeGreaterThan(1);
  });

  it('reads every phase kind into typed values', () => {
    const s = parseScenario(`
name: all-kinds
seed: 9
sample_interval: 500ms
target: {runtime: inproc, size_scale: 0.5}
release: {name: r2, version: 2.0.0, create: {binary: 1MiB, reboot: true}}
phases:
  - provision: {count: 10, prefix: QA, tags: [canary, lab], poll_interval: 2s, cache_encryption: false}
  - provision: {evk: true}
  - ramp: {rate: 600/m, jitter: 25%}
  - steady: {duration: 1m30s}
  - rollout:
      - enable: {tags: [canary]}
      - phase: 50%
        after: 10s
      - phase: 0.75
      - phase: 20
      - disable
  - wait: {until: 95% on 2.0.0, timeout: 2m}
  - wait: {until: all online, timeout: 10s}
  - faults:
      - kill: 2
      - reboot: 10%
      - binary: {status: 503, duration: 5s}
      - binary: {truncate: 64K, corrupt: true, duration: 1s}
  - teardown
thresholds:
  - p95(time_to_update) < 120s
  - errors == 0
`, 'all.yaml');
    expect(s.seed).toBe(9);
    expect(s.sampleIntervalMs).toBe(500);
    expect(s.target).toEqual({ runtime: 'inproc', sizeScale: 0.5 });
    expect(s.release).toEqual({ name: 'r2', version: '2.0.0', create: { binaryBytes: 1024 * 1024, reboot: true } });
    const [p0, p1, ramp, steady, rollout, wait, online, faults, teardown] = s.phases;
    expect(p0).toMatchObject({ kind: 'provision', count: 10, prefix: 'QA', tags: ['canary', 'lab'], pollIntervalMs: 2000, cacheEncryption: false, env: 'file', diskBytes: 0, evk: false });
    expect(p1).toMatchObject({ kind: 'provision', evk: true, count: 6 });
    expect(ramp).toMatchObject({ kind: 'ramp', ratePerSecond: 10, jitter: 0.25, at: { line: 10, col: 5 } });
    expect(steady).toMatchObject({ kind: 'steady', durationMs: 90_000 });
    expect(rollout?.kind === 'rollout' && rollout.steps.map(({ at: _a, ...st }) => st)).toEqual([
      { action: 'enable', phase: { tags: ['canary'] }, afterMs: 0 },
      { action: 'phase', phase: { value: 0.5, text: '50%' }, afterMs: 10_000 },
      { action: 'phase', phase: { value: 0.75, text: '0.75' }, afterMs: 0 },
      { action: 'phase', phase: { value: 20, text: '20' }, afterMs: 0 },
      { action: 'disable', afterMs: 0 },
    ]);
    expect(wait).toMatchObject({ kind: 'wait', until: { amount: { fraction: 0.95 }, state: { version: '2.0.0' } }, timeoutMs: 120_000 });
    expect(online).toMatchObject({ until: { amount: { fraction: 1 }, state: { online: true } } });
    expect(faults?.kind === 'faults' && faults.faults.map(({ at: _a, ...f }) => f)).toEqual([
      { fault: 'kill', amount: { count: 2 } },
      { fault: 'reboot', amount: { fraction: 0.1 } },
      { fault: 'binary', status: 503, durationMs: 5000 },
      { fault: 'binary', truncateAt: 65536, corrupt: true, durationMs: 1000 },
    ]);
    expect(teardown?.kind).toBe('teardown');
    expect(s.thresholds.map((t) => t.text)).toEqual(['p95(time_to_update) < 120s', 'errors == 0']);
  });

  it('resolves the device API CA against the scenario folder', () => {
    const s = parseScenario('name: t\ntarget: {device_api: "peridio.example:443", device_api_ca: ca.pem, hook: ./hook.sh}\nphases: [teardown]\n', 'x.yaml', '/scenarios');
    expect(s.target).toEqual({ runtime: 'inproc', sizeScale: 1, deviceApi: 'peridio.example:443', deviceApiCa: '/scenarios/ca.pem', hook: './hook.sh' });
  });

  it.each([
    ['YAML syntax', 'name: t\nphases: [teardown\n', /^x\.yaml:\d+:\d+: YAML: /],
    ['a missing name', 'phases: [teardown]\n', /^x\.yaml:1:1: name: missing: every scenario has a name$/],
    ['an unknown top-level key', 'name: t\nphasez: []\n', /^x\.yaml:2:1: unknown key "phasez"; expected one of name, description, .*\(and 1 more problem\)$/],
    ['an unknown phase', minimal('  - sleep: {duration: 1s}\n'), /^x\.yaml:5:5: phases\[2\]: unknown phase "sleep"; expected one of provision, ramp, steady, rollout, wait, faults, teardown$/],
    ['a bad rate', 'name: t\nphases:\n  - provision: {count: 3}\n  - ramp: {rate: fast}\n', /^x\.yaml:4:18: phases\[1\]\.ramp\.rate: "fast" is not a rate like 50\/s or 600\/m$/],
    ['a count out of range', 'name: t\nphases:\n  - provision:\n      count: 0\n', /^x\.yaml:4:14: phases\[0\]\.provision\.count: 0: expected a whole number from 1 to 100000$/],
    ['an unknown provision key', 'name: t\nphases:\n  - provision:\n      count: 1\n      colour: red\n', /^x\.yaml:5:7: phases\[0\]\.provision: unknown key "colour"; expected one of count, evk/],
    ['a bad wait', minimal('  - wait: {until: most on 2.0.0, timeout: 1m}\n'), /^x\.yaml:5:19: phases\[2\]\.wait\.until: "most on 2.0.0" is not a condition like "95% on 2.0.0"/],
    ['a wait without timeout', minimal('  - wait: {until: all online}\n'), /^x\.yaml:5:11: phases\[2\]\.wait\.timeout: missing/],
    ['a ramp before provision', 'name: t\nphases:\n  - ramp: {rate: 1/s}\n', /^x\.yaml:3:5: phases\[0\]: ramp before any provision/],
    ['a rollout without release', minimal('  - rollout: [enable]\n'), /^x\.yaml:5:5: phases\[2\]: rollout needs a top-level release/],
    ['a phase above 100%', 'name: t\nrelease: {name: r, version: 1.0.0}\nphases:\n  - rollout:\n      - phase: 150%\n', /^x\.yaml:5:16: phases\[0\]\.rollout\[0\]\.phase: "150%" is not a percentage/],
    ['two actions in one step', 'name: t\nrelease: {name: r, version: 1.0.0}\nphases:\n  - rollout:\n      - {enable: null, disable: null}\n', /^x\.yaml:5:9: phases\[0\]\.rollout\[0\]: expected exactly one of enable, disable, phase/],
    ['a bad threshold metric', minimal('thresholds:\n  - p95(time_to_updat) < 120s\n'), /^x\.yaml:6:9: thresholds\[0\]: "p95\(time_to_updat\) < 120s": unknown metric "time_to_updat"; expected one of connect, /],
    ['a threshold without a unit', minimal('thresholds:\n  - "p95(time_to_update) < 120"\n'), /^x\.yaml:6:28: thresholds\[0\]: .*"120" is not a duration like 120s/],
    ['a CA without device_api', 'name: t\ntarget: {device_api_ca: x.pem}\nphases: [teardown]\n', /^x\.yaml:2:10: target\.device_api_ca: only with target\.device_api/],
    ['device_api without its CA', 'name: t\ntarget: {device_api: "h:1"}\nphases: [teardown]\n', /^x\.yaml:2:10: target\.device_api_ca: missing/],
    ['a device_api port out of range', 'name: t\ntarget: {device_api: "h:70000", device_api_ca: c.pem}\nphases: [teardown]\n', /^x\.yaml:2:22: target\.device_api: "h:70000": expected host or host:port without a scheme, port 1–65535/],
    ['a device_api with a scheme', 'name: t\ntarget: {device_api: "https://h", device_api_ca: c.pem}\nphases: [teardown]\n', /^x\.yaml:2:22: target\.device_api: "https:\/\/h": expected host or host:port/],
    ['a binary fault against a real backend', 'name: t\ntarget: {device_api: "h:1", device_api_ca: c.pem}\nphases:\n  - faults:\n      - binary: {status: 503, duration: 1s}\n', /^x\.yaml:5:9: phases\[0\]: binary faults need the embedded backend/],
    ['an empty file', '', /^x\.yaml:1:1: empty scenario|expected a mapping/],
    ['a duration a timer cannot wait', minimal('  - steady: {duration: 1000h}\n'), /^x\.yaml:5:24: phases\[2\]\.steady\.duration: "1000h" is not a duration like 30s, at most 24 days$/],
    ['a sample interval under 100ms', `sample_interval: 0s\n${minimal('')}`, /^x\.yaml:1:18: sample_interval: at least 100ms$/],
  ])('refuses %s with file:line:col, the path and what would be accepted', (_what, source, message) => {
    expect(issueOf(source)).toMatch(message);
  });

  it('collects every problem, not just the first', () => {
    try {
      parseScenario('name: t\nphases:\n  - provision: {count: -1}\n  - ramp: {rate: x}\n  - steady: {duration: forever}\n', 'x.yaml');
      expect.unreachable();
    } catch (e) {
      expect((e as ScenarioError).issues.map((i) => `${i.line}:${i.col} ${i.path}`)).toEqual([
        '3:24 phases[0].provision.count',
        '4:18 phases[1].ramp.rate',
        '5:24 phases[2].steady.duration',
      ]);
      expect((e as ScenarioError).message).toMatch(/\(and 2 more problems\)$/);
    }
  });

  it.each([
    ['a cohort the product lacks', 'name: t\nphases:\n  - provision: {count: 1, cohort: "\\e[2J"}\n', /^x\.yaml:3:35: phases\[0\]\.provision\.cohort: "\\u001b\[2J": expected one of release, release-debug, daily-release, daily-debug \(the edge-inference product's cohorts\)$/],
    ['a tag with control characters', 'name: t\nphases:\n  - provision: {count: 1, tags: [ok, "\\e[31mred"]}\n', /^x\.yaml:3:38: phases\[0\]\.provision\.tags\[1\]: tag "\\u001b\[31mred" must be 1 to 128 printable characters without a comma$/],
    ['a tag with a comma', 'name: t\nphases:\n  - provision: {count: 1, tags: "a,b"}\n', /^x\.yaml:3:33: phases\[0\]\.provision\.tags: tag "a,b" must be 1 to 128 printable characters without a comma$/],
    ['a tag with a C1 control the backend refuses', 'name: t\nphases:\n  - provision: {count: 1, tags: ["a\\x9bb"]}\n', /^x\.yaml:3:34: phases\[0\]\.provision\.tags\[0\]: expected a non-empty string of at most 128 printable characters, got "a\\u009bb"$/],
    ['more than 100 tags', `name: t\nphases:\n  - provision: {count: 1, tags: [${Array.from({ length: 101 }, (_, i) => `t${i}`).join(', ')}]}\n`, /^x\.yaml:3:33: phases\[0\]\.provision\.tags: 101 tags, at most 100 accepted$/],
    ['a target outside the safe alphabet', 'name: t\nphases:\n  - provision: {count: 1, target: "\\e[31m../../x"}\n', /^x\.yaml:3:35: phases\[0\]\.provision\.target: target "\\u001b\[31m\.\.\/\.\.\/x" must match \^\[A-Za-z0-9\]/],
    ['a release name with control characters', 'name: t\nrelease: {name: "\\e[31mR", version: 3.0.0}\nphases: [teardown]\n', /^x\.yaml:2:17: release\.name: "\\u001b\[31mR": contains control characters; a release name is 1 to 100 characters without control characters$/],
    ['a release name too long for its created artifact', `name: t\nrelease: {name: ${'r'.repeat(93)}, version: 3.0.0, create: {binary: 1KiB}}\nphases: [teardown]\n`, /^x\.yaml:2:17: release\.name: "r{79}…: 93 characters; a created release has at most 92 \(its artifact is named <name>-payload, at most 100\)$/],
    ['a binary over the backend upload limit', 'name: t\nrelease: {name: r, version: 2.0.0, create: {binary: 1000000GiB}}\nphases: [teardown]\n', /^x\.yaml:2:53: release\.create\.binary: 1073741824000000 bytes; the embedded backend accepts binaries of at most 8589934592 \(8 GiB\)$/],
    ['a version the backend refuses (a leading zero)', 'name: t\nrelease: {name: r, version: 01.2.3}\nphases: [teardown]\n', /^x\.yaml:2:29: release\.version: "01\.2\.3": major "01" has a leading zero \(expected MAJOR\.MINOR\.PATCH/],
    ['a wait on a version the backend refuses', 'name: t\nphases:\n  - wait: {until: all on 01.2.3}\n', /^x\.yaml:3:19: phases\[0\]\.wait\.until: "all on 01\.2\.3" is not a condition/],
    ['a binary one byte over 8 GiB', 'name: t\nrelease: {name: r, version: 2.0.0, create: {binary: 8589934593}}\nphases: [teardown]\n', /^x\.yaml:2:53: release\.create\.binary: 8589934593 bytes; the embedded backend accepts binaries of at most 8589934592/],
    ['a phase tag with control characters', 'name: t\nrelease: {name: r, version: 3.0.0}\nphases:\n  - rollout:\n      - enable: {tags: ["\\e[2JX"]}\n', /^x\.yaml:5:25: phases\[0\]\.rollout\[0\]\.enable\.tags\[0\]: tag "\\u001b\[2JX" must be 1 to 128 printable characters without a comma$/],
    ['a phase tag with a C1 control', 'name: t\nrelease: {name: r, version: 3.0.0}\nphases:\n  - rollout:\n      - phase: {tags: "\\x85"}\n', /^x\.yaml:5:23: phases\[0\]\.rollout\[0\]\.phase\.tags: expected a non-empty string of at most 128 printable characters, got "\\u0085"$/],
    ['a description over 4 KiB', `description: ${'d'.repeat(4097)}\n${minimal()}`, /^x\.yaml:1:14: description: 4097 bytes; at most 4096 \(4 KiB\) accepted \(it is copied into every report\)$/],
  ])('refuses %s while parsing, before anything starts', (_what, source, message) => {
    expect(issueOf(source)).toMatch(message);
  });

  it('accepts what the later layers accept', () => {
    const s = parseScenario(`description: ${'d'.repeat(4096)}\nname: t\nrelease: {name: ${'r'.repeat(92)}, version: 2.0.0, create: {binary: 8GiB}}\nphases:\n  - provision: {count: 1, cohort: daily-debug, tags: [canary, "lab 2"], target: arm-ethos-u65}\n  - rollout:\n      - enable: {tags: [canary]}\n`, 'x.yaml');
    expect(s.release).toEqual({ name: 'r'.repeat(92), version: '2.0.0', create: { binaryBytes: 8 * 1024 ** 3, reboot: false } });
    expect(s.phases[0]).toMatchObject({ kind: 'provision', cohort: 'daily-debug', tags: ['canary', 'lab 2'], target: 'arm-ethos-u65' });
    expect(s.description).toHaveLength(4096);
  });

  it('quotes at most 80 characters of a refused value', () => {
    const message = issueOf(`name: t\nphases:\n  - provision: {count: 1, prefix: ${'p'.repeat(1_000_000)}-}\n`);
    expect(message).toBe(`x.yaml:3:35: phases[0].provision.prefix: "${'p'.repeat(79)}…: letters, digits, . _ - (device ids are <prefix>-0001…)`);
  });

  it('names an unreadable file in one line', () => {
    expect(() => readScenario('/nonexistent/s.yaml')).toThrow(/^\/nonexistent\/s\.yaml: cannot read the scenario: ENOENT/);
  });
});
