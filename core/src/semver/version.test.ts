import { describe, it, expect } from 'vitest';
import { VfleetError } from '../errors.js';
import { compareVersions, formatVersion, parseVersion } from './index.js';

describe('parseVersion', () => {
  it('splits core, pre-release (numbers as numbers) and build', () => {
    expect(parseVersion('1.14.0-rc.0+build0.amd64')).toEqual({
      major: 1, minor: 14, patch: 0, pre: ['rc', 0], build: ['build0', 'amd64'],
    });
  });

  it('round-trips through formatVersion', () => {
    for (const text of ['0.0.0', '2.0.0', '1.0.0-alpha.1', '1.0.0-x-y.7+b.1', '10.20.30+meta']) {
      expect(formatVersion(parseVersion(text))).toBe(text);
    }
  });

  it.each([
    ['', /major "" is not a number/],
    ['2.0-alpha1', /patch number is missing/],
    ['1', /minor number is missing/],
    ['v1.0.0', /major "v1" is not a number/],
    ['1.0.0.0', /4 dot-separated numbers/],
    ['01.0.0', /major "01" has a leading zero/],
    ['1.0.0-01', /numeric pre-release identifier "01" has a leading zero/],
    ['1.0.0-', /pre-release identifier "" is empty/],
    ['1.0.0-a..b', /pre-release identifier "" is empty/],
    ['1.0.0+', /build identifier "" is empty/],
    ['1.0.0-rc_1', /pre-release identifier "rc_1"/],
    ['1.0.0 ', /patch "0 " is not a number/],
    ['123456789012345.0.0', /more than 14 digits/],
  ])('rejects %j with VFLEET_SEMVER_INVALID', (text, why) => {
    let err: unknown;
    try {
      parseVersion(text, 'release.version');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VfleetError);
    expect((err as VfleetError).code).toBe('VFLEET_SEMVER_INVALID');
    expect((err as VfleetError).message).toContain(`release.version: invalid version ${JSON.stringify(text)}`);
    expect((err as VfleetError).message).toMatch(why);
  });

  it('accepts alphanumeric identifiers with leading zeros and 14-digit numbers', () => {
    expect(parseVersion('1.0.0-0a.-').pre).toEqual(['0a', '-']);
    expect(parseVersion('99999999999999.0.0').major).toBe(99999999999999);
  });
});

describe('compareVersions', () => {
  it('matches the examples of Elixir Version.compare/2', () => {
    expect(compareVersions('2.0.1-alpha1', '2.0.0')).toBe(1);
    expect(compareVersions('1.0.0-beta', '1.0.0-rc1')).toBe(-1);
    expect(compareVersions('1.0.0-10', '1.0.0-2')).toBe(1);
    expect(compareVersions('2.0.1+build0', '2.0.1')).toBe(0);
  });

  it('orders the SemVer 2.0 precedence example chain', () => {
    const chain = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2',
      '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.1.0', '2.0.0'];
    for (let i = 0; i + 1 < chain.length; i++) {
      expect(compareVersions(chain[i] as string, chain[i + 1] as string)).toBe(-1);
      expect(compareVersions(chain[i + 1] as string, chain[i] as string)).toBe(1);
    }
    const shuffled = [...chain].reverse().sort(compareVersions);
    expect(shuffled).toEqual(chain);
  });

  it('compares numbers numerically, not as text', () => {
    expect(compareVersions('1.10.0', '1.9.0')).toBe(1);
    expect(compareVersions('1.0.0-rc.10', '1.0.0-rc.9')).toBe(1);
  });
});
