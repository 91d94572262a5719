import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import { VfleetError } from '../errors.js';
import { readAgentConfig, unwrapAgentConfig } from './index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vfleet-agent-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function thrown(fn: () => unknown): VfleetError {
  try {
    fn();
  } catch (e) {
    if (e instanceof VfleetError) return e;
    throw e;
  }
  throw new Error('expected a VfleetError');
}

describe('readAgentConfig / unwrapAgentConfig', () => {
  it('reads and validates a file', () => {
    const file = join(dir, 'peridio.json');
    writeFileSync(file, '{"remote_shell": true, "node": {"key_pair_source": "file", "key_pair_config": {"certificate_path": "/c", "private_key_path": "/k"}}}');
    const { config, warnings } = unwrapAgentConfig(readAgentConfig(file));
    expect(config.remoteShell).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('throws VFLEET_IO naming the file when it cannot be read', () => {
    const err = thrown(() => readAgentConfig(join(dir, 'missing.json')));
    expect(err.code).toBe('VFLEET_IO');
    expect(err.message).toMatch(/missing\.json: cannot read peridio\.json: ENOENT/);
  });

  it('throws VFLEET_CONFIG_INVALID with one "file: path: message" line per error', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{"reboot_delay": "soon", "targets": [1]}');
    const err = thrown(() => unwrapAgentConfig(readAgentConfig(file)));
    expect(err.code).toBe('VFLEET_CONFIG_INVALID');
    expect(err.message.split('\n')).toEqual([
      `${file}: $.reboot_delay: expected an integer >= 0, found string "soon"`,
      `${file}: $.targets[0]: expected a string, found number 1`,
    ]);
  });
});
