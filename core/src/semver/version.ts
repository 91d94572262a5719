import { VfleetError } from '../errors.js';

/** A pre-release identifier: numeric identifiers are numbers, the rest strings. */
export type PreIdentifier = string | number;

export interface Version {
  major: number;
  minor: number;
  patch: number;
  pre: PreIdentifier[];
  build: string[];
}

/** A version operand inside a requirement: `~>` may omit the patch number. */
export interface VersionOperand extends Omit<Version, 'patch'> {
  patch: number | null;
}

// Elixir (since CVE-2026-49762) caps numeric components at 14 digits; that also keeps them exact in a JS number.
const MAX_DIGITS = 14;
const IDENTIFIER = /^[0-9A-Za-z-]+$/;
const DIGITS = /^[0-9]+$/;

function numeric(text: string | undefined, name: string): number | string {
  if (text === undefined) return `${name} number is missing`;
  if (!DIGITS.test(text)) return `${name} ${JSON.stringify(text)} is not a number`;
  if (text.length > 1 && text.startsWith('0')) return `${name} ${JSON.stringify(text)} has a leading zero`;
  if (text.length > MAX_DIGITS) return `${name} ${JSON.stringify(text)} has more than ${MAX_DIGITS} digits`;
  return Number(text);
}

function identifiers(text: string | undefined, name: string): string[] | string {
  if (text === undefined) return [];
  const parts = text.split('.');
  const bad = parts.find((p) => !IDENTIFIER.test(p));
  if (bad !== undefined) {
    return `${name} identifier ${JSON.stringify(bad)} is empty or not [0-9A-Za-z-]`;
  }
  return parts;
}

function splitOnce(text: string, sep: string): [string, string | undefined] {
  const at = text.indexOf(sep);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

/** Elixir `Version.Parser.parse_version/2`; returns a reason string when invalid. */
export function scanVersion(text: string, patchOptional: boolean): VersionOperand | string {
  const [withPre, buildText] = splitOnce(text, '+');
  const [core, preText] = splitOnce(withPre, '-');
  const nums = core.split('.');
  if (nums.length > 3) return `has ${nums.length} dot-separated numbers, not 3`;
  const major = numeric(nums[0], 'major');
  if (typeof major === 'string') return major;
  const minor = numeric(nums[1], 'minor');
  if (typeof minor === 'string') return minor;
  const patch = nums[2] === undefined && patchOptional ? null : numeric(nums[2], 'patch');
  if (typeof patch === 'string') return patch;
  const preParts = identifiers(preText, 'pre-release');
  if (typeof preParts === 'string') return preParts;
  const pre: PreIdentifier[] = [];
  for (const part of preParts) {
    if (!DIGITS.test(part)) pre.push(part);
    else {
      const n = numeric(part, 'numeric pre-release identifier');
      if (typeof n === 'string') return n;
      pre.push(n);
    }
  }
  const build = identifiers(buildText, 'build');
  if (typeof build === 'string') return build;
  return { major, minor, patch, pre, build };
}

/** Parses a SemVer 2.0 version exactly as Elixir's `Version.parse/1` accepts it. */
export function parseVersion(text: string, where = 'version'): Version {
  const scanned = scanVersion(text, false);
  if (typeof scanned === 'string' || scanned.patch === null) {
    const why = typeof scanned === 'string' ? scanned : 'patch number is missing';
    throw new VfleetError(
      'VFLEET_SEMVER_INVALID',
      `${where}: invalid version ${JSON.stringify(text)}: ${why} (expected MAJOR.MINOR.PATCH[-pre][+build], e.g. 1.1.0 or 2.0.0-rc.1)`,
    );
  }
  return { ...scanned, patch: scanned.patch };
}

export function formatVersion(v: Version): string {
  const pre = v.pre.length > 0 ? `-${v.pre.join('.')}` : '';
  const build = v.build.length > 0 ? `+${v.build.join('.')}` : '';
  return `${v.major}.${v.minor}.${v.patch}${pre}${build}`;
}

function sign(n: number): -1 | 0 | 1 {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

// Erlang term order on the identifier lists: numbers < strings, strings bytewise, prefix first.
function comparePre(a: readonly PreIdentifier[], b: readonly PreIdentifier[]): -1 | 0 | 1 {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] as PreIdentifier;
    const y = b[i] as PreIdentifier;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return sign(x - y);
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return sign(a.length - b.length);
}

type Comparable = Pick<Version, 'major' | 'minor' | 'patch' | 'pre'>;

/** SemVer precedence (build metadata ignored): -1 if a < b, 0 if equal, 1 if a > b. */
export function compareVersions(a: Comparable | string, b: Comparable | string): -1 | 0 | 1 {
  const x = typeof a === 'string' ? parseVersion(a) : a;
  const y = typeof b === 'string' ? parseVersion(b) : b;
  const core = sign(x.major - y.major) || sign(x.minor - y.minor) || sign(x.patch - y.patch);
  if (core !== 0) return core;
  if (x.pre.length === 0 || y.pre.length === 0) return sign(y.pre.length - x.pre.length);
  return comparePre(x.pre, y.pre);
}
