import { describe, expect, it } from 'vitest';
import { scenarioFromFlags, type FlagScenarioOptions } from './flags-scenario.js';

const base: FlagScenarioOptions = { devices: 2, ratePerSecond: 10, jitter: 0, timeoutMs: 60_000, thresholds: [], runtime: 'inproc' };
const withRelease = (release: NonNullable<FlagScenarioOptions['release']>) => () => scenarioFromFlags({ ...base, release });

describe('a load run from flags', () => {
  it('takes a release the backend would take', () => {
    const s = scenarioFromFlags({ ...base, release: { name: 'load-2.0.0', version: '2.0.0-rc.1+b7', binaryBytes: 1024, reboot: false } });
    expect(s.release).toEqual({ name: 'load-2.0.0', version: '2.0.0-rc.1+b7', create: { binaryBytes: 1024, reboot: false } });
  });

  it('refuses what the backend would refuse, naming the flag, before anything starts', () => {
    expect(withRelease({ name: 'r', version: 'nope', reboot: false })).toThrow(/^--version "nope": major "nope" is not a number \(expected MAJOR\.MINOR\.PATCH/);
    expect(withRelease({ name: 'r', version: '1.2', reboot: false })).toThrow(/^--version "1\.2": /);
    expect(withRelease({ name: 'r', version: '01.2.3', reboot: false })).toThrow(/^--version "01\.2\.3": major "01" has a leading zero/);
    expect(withRelease({ name: 'r\u001b[2J', version: '2.0.0', reboot: false })).toThrow(/^--release "r\\u001b\[2J": .*control characters/);
    expect(withRelease({ name: '', version: '2.0.0', reboot: false })).toThrow(/^--release "": /);
    expect(withRelease({ name: 'r'.repeat(101), version: '2.0.0', reboot: false })).toThrow(/^--release "r{101}": .*1 to 100 characters/);
    // with a created binary its artifact <name>-payload must fit too; enabling an existing release does not name one
    expect(withRelease({ name: 'r'.repeat(95), version: '2.0.0', binaryBytes: 1, reboot: false })).toThrow(/^--release "r{95}": 95 characters; a created release has at most 92/);
    expect(scenarioFromFlags({ ...base, release: { name: 'r'.repeat(95), version: '2.0.0', reboot: false } }).release?.name).toHaveLength(95);
    expect(withRelease({ name: 'r', version: '2.0.0', binaryBytes: 0, reboot: false })).toThrow(/^--binary-size 0: must be at least 1 byte$/);
    expect(withRelease({ name: 'r', version: '2.0.0', binaryBytes: 9 * 1024 ** 3, reboot: false })).toThrow(/^--binary-size 9663676416: .*at most 8589934592 \(8 GiB\)$/);
  });
});
