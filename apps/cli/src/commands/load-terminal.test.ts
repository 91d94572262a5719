import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runVfleet } from '../test-support/run-vfleet.js';

// C0 controls but newline, DEL and C1: what would reach the terminal as a control sequence
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'vfleet-cli-load-terminal-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const vfleet = (...argv: string[]) => runVfleet(join(root, 'home'), argv, { errSeparator: '' });

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
