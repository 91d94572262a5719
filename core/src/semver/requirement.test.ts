import { describe, it, expect } from 'vitest';
import type { VfleetError } from '../errors.js';
import { parseRequirement, satisfies } from './index.js';

describe('parseRequirement', () => {
  it('groups clauses as an OR of AND-groups', () => {
    const req = parseRequirement('>= 1.0.0 and < 2.0.0 or ~> 3.1');
    expect(req.alternatives.map((g) => g.map((c) => c.op))).toEqual([['>=', '<'], ['~>']]);
    expect(req.alternatives[1]?.[0]?.operand).toEqual({ major: 3, minor: 1, patch: null, pre: [], build: [] });
  });

  it('reads a bare version as ==, and operators without spaces', () => {
    expect(parseRequirement('1.2.3').alternatives[0]?.[0]?.op).toBe('==');
    expect(parseRequirement('>=1.0.0').alternatives[0]?.[0]?.op).toBe('>=');
    expect(parseRequirement('~>1.1').alternatives[0]?.[0]?.op).toBe('~>');
    expect(parseRequirement('1.0.0 or 2.0.0').alternatives.map((g) => g[0]?.op)).toEqual(['==', '==']);
  });

  it.each([
    ['', /it is empty/],
    ['   ', /it is empty/],
    ['~> 1', /"1" after '~>': minor number is missing/],
    ['>= 1.0', /"1.0" after '>=': patch number is missing \(only '~>' accepts MAJOR.MINOR\)/],
    ['~> 1.2.3.4', /4 dot-separated numbers/],
    ['1.0.0 2.0.0', /expected 'and' or 'or' after "1.0.0", found "2.0.0"/],
    ['>= 1.0.0 and', /found "and" \('and' needs a space on both sides and a clause after it\)/],
    ['>= 1.0.0 and ', /expected an operator or version, found the end/],
    ['== == 1.0.0', /expected a version after '==', found '=='/],
    ['and 1.0.0', /'and' needs a space on both sides/],
    ['foo', /"foo" after '==': major "foo" is not a number/],
    ['>= 1.0.0 or', /found "or"/],
    ['< 1.0.0 or >', /expected a version after '>', found the end/],
  ])('rejects %j', (text, why) => {
    let err: unknown;
    try {
      parseRequirement(text, 'release.version_requirement');
    } catch (e) {
      err = e;
    }
    expect((err as VfleetError).code).toBe('VFLEET_SEMVER_INVALID');
    expect((err as VfleetError).message).toContain(
      `release.version_requirement: invalid requirement ${JSON.stringify(text)}`,
    );
    expect((err as VfleetError).message).toMatch(why);
  });
});

describe('satisfies', () => {
  it('implements the two ~> forms', () => {
    // ~> 1.1 = >= 1.1.0 and < 2.0.0
    expect(satisfies('1.1.0', '~> 1.1')).toBe(true);
    expect(satisfies('1.9.9', '~> 1.1')).toBe(true);
    expect(satisfies('1.0.9', '~> 1.1')).toBe(false);
    expect(satisfies('2.0.0', '~> 1.1')).toBe(false);
    // ~> 1.1.2 = >= 1.1.2 and < 1.2.0
    expect(satisfies('1.1.2', '~> 1.1.2')).toBe(true);
    expect(satisfies('1.1.9', '~> 1.1.2')).toBe(true);
    expect(satisfies('1.1.1', '~> 1.1.2')).toBe(false);
    expect(satisfies('1.2.0', '~> 1.1.2')).toBe(false);
  });

  it('lets the EVK r1001 device (1.1.0) enter r1002 (~> 1.1)', () => {
    expect(satisfies('1.1.0', '~> 1.1')).toBe(true);
  });

  it('never matches a pre-release of the ~> upper bound, even with allowPre', () => {
    expect(satisfies('2.0.0-rc.1', '~> 1.1', { allowPre: true })).toBe(false);
    expect(satisfies('1.2.0-0', '~> 1.1.2', { allowPre: true })).toBe(false);
  });

  it('implements ==, !=, >, >=, <, <= with build metadata ignored', () => {
    expect(satisfies('2.0.0+b7', '== 2.0.0')).toBe(true);
    expect(satisfies('2.0.0', '!= 2.0.0')).toBe(false);
    expect(satisfies('2.0.1', '!= 2.0.0')).toBe(true);
    expect(satisfies('2.0.0', '> 1.0.0')).toBe(true);
    expect(satisfies('1.0.0', '> 1.0.0')).toBe(false);
    expect(satisfies('1.0.0', '>= 1.0.0')).toBe(true);
    expect(satisfies('0.9.9', '< 1.0.0')).toBe(true);
    expect(satisfies('1.0.0', '< 1.0.0')).toBe(false);
    expect(satisfies('1.0.0', '<= 1.0.0')).toBe(true);
  });

  it('binds and tighter than or (Elixir >= 1.13)', () => {
    // left-to-right folding would give (==1 or ==2) and ==3 → false
    expect(satisfies('1.0.0', '== 1.0.0 or == 2.0.0 and == 3.0.0')).toBe(true);
    expect(satisfies('2.0.0', '== 1.0.0 or == 2.0.0 and == 3.0.0')).toBe(false);
    expect(satisfies('1.5.0', '>= 1.0.0 and < 2.0.0 or >= 3.0.0')).toBe(true);
    expect(satisfies('2.5.0', '>= 1.0.0 and < 2.0.0 or >= 3.0.0')).toBe(false);
  });

  // Elixir's documented table (Version moduledoc); allowPre false is the default here.
  it.each([
    ['~> 2.0', '2.1.0', false, true],
    ['~> 2.0', '3.0.0', false, false],
    ['~> 2.0.0', '2.0.5', false, true],
    ['~> 2.0.0', '2.1.0', false, false],
    ['~> 2.1.2', '2.1.6-dev', true, true],
    ['~> 2.1.2', '2.1.6-dev', false, false],
    ['~> 2.1-dev', '2.2.0-dev', false, true],
    ['~> 2.1.2-dev', '2.1.6-dev', false, true],
    ['>= 2.1.0', '2.2.0-dev', true, true],
    ['>= 2.1.0', '2.2.0-dev', false, false],
    ['>= 2.1.0-dev', '2.2.6-dev', false, true],
  ] as const)('%s with %s (allowPre %s) → %s', (req, version, allowPre, expected) => {
    expect(satisfies(version, req, { allowPre })).toBe(expected);
  });

  it('does not restrict pre-releases under <, <=, == (as Elixir)', () => {
    expect(satisfies('1.5.0-rc.1', '< 2.0.0')).toBe(true);
    expect(satisfies('2.0.0-rc.1', '<= 2.0.0')).toBe(true);
    expect(satisfies('2.0.0-rc.1', '== 2.0.0-rc.1')).toBe(true);
  });

  it('rejects an invalid version with VFLEET_SEMVER_INVALID', () => {
    expect(() => satisfies('1.0', '~> 1.0')).toThrow(/invalid version "1.0"/);
  });
});
