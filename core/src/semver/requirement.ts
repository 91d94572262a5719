import { VfleetError } from '../errors.js';
import { compareVersions, parseVersion, scanVersion } from './version.js';
import type { Version, VersionOperand } from './version.js';

export type Operator = '==' | '!=' | '>' | '>=' | '<' | '<=' | '~>';

export interface Clause {
  op: Operator;
  operand: VersionOperand;
}

/** `alternatives` is an OR of AND-groups: `and` binds tighter than `or`, as in Elixir. */
export interface Requirement {
  source: string;
  alternatives: Clause[][];
}

type Token = Operator | 'and' | 'or' | { text: string };

// Longest operators first, in the order Elixir's lexer tries them; `!` is Elixir's deprecated `!=`.
const LEXEMES: [string, Operator | 'and' | 'or'][] = [
  ['>=', '>='], ['<=', '<='], ['~>', '~>'], ['>', '>'], ['<', '<'], ['==', '=='],
  [' or ', 'or'], [' and ', 'and'], ['!=', '!='], ['!', '!='],
];

function isOperator(t: Token | undefined): t is Operator {
  return typeof t === 'string' && t !== 'and' && t !== 'or';
}

function lex(source: string): Token[] {
  const tokens: Token[] = [];
  let buffer = '';
  const flush = (): void => {
    if (buffer === '') return;
    // A version not preceded by an operator gets an implicit `==`.
    if (!isOperator(tokens.at(-1))) tokens.push('==');
    tokens.push({ text: buffer });
    buffer = '';
  };
  let i = 0;
  outer: while (i < source.length) {
    for (const [lexeme, token] of LEXEMES) {
      if (source.startsWith(lexeme, i)) {
        flush();
        tokens.push(token);
        i += lexeme.length;
        continue outer;
      }
    }
    if (source[i] === ' ') flush();
    else buffer += source[i];
    i++;
  }
  flush();
  return tokens;
}

function describe(t: Token | undefined): string {
  if (t === undefined) return 'the end';
  return typeof t === 'string' ? `'${t}'` : JSON.stringify(t.text);
}

function build(tokens: Token[]): Clause[][] | string {
  if (tokens.length === 0) return 'it is empty';
  const alternatives: Clause[][] = [[]];
  for (let i = 0; ; i += 3) {
    const op = tokens[i];
    const version = tokens[i + 1];
    if (!isOperator(op)) return `expected an operator or version, found ${describe(op)}`;
    if (version === undefined || typeof version === 'string') {
      return `expected a version after '${op}', found ${describe(version)}`;
    }
    if (version.text === 'and' || version.text === 'or') {
      return `'${version.text}' needs a space on both sides and a clause after it`;
    }
    const operand = scanVersion(version.text, op === '~>');
    if (typeof operand === 'string') {
      const hint = op !== '~>' && operand.startsWith('patch number') ? ` (only '~>' accepts MAJOR.MINOR)` : '';
      return `${JSON.stringify(version.text)} after '${op}': ${operand}${hint}`;
    }
    (alternatives.at(-1) as Clause[]).push({ op, operand });
    const join = tokens[i + 2];
    if (join === undefined) return alternatives;
    if (join !== 'and' && join !== 'or') {
      const after = tokens[i + 3];
      // The lexer put an implicit `==` before a second version; name that version instead.
      if (join === '==' && typeof after === 'object') {
        const tail = after.text === 'and' || after.text === 'or'
          ? ` ('${after.text}' needs a space on both sides and a clause after it)` : '';
        return `expected 'and' or 'or' after ${JSON.stringify(version.text)}, found ${describe(after)}${tail}`;
      }
      return `expected 'and' or 'or' after ${JSON.stringify(version.text)}, found ${describe(join)}`;
    }
    if (join === 'or') alternatives.push([]);
  }
}

/**
 * Parses an Elixir `Version` requirement (Elixir 1.18 grammar): `~>`, `==`, `!=`, `>`, `>=`,
 * `<`, `<=`, a bare version meaning `==`, joined by ` and ` / ` or `. An empty string is invalid.
 */
export function parseRequirement(text: string, where = 'version_requirement'): Requirement {
  const result = build(lex(text));
  if (typeof result === 'string') {
    throw new VfleetError(
      'VFLEET_SEMVER_INVALID',
      `${where}: invalid requirement ${JSON.stringify(text)}: ${result} (expected e.g. "~> 1.1", ">= 1.0.0 and < 2.0.0", "1.2.3")`,
    );
  }
  return { source: text, alternatives: result };
}

export interface SatisfiesOptions {
  /**
   * When false (the default here, as in Hex), `>`, `>=` and `~>` clauses only match a
   * pre-release version if their own operand is a pre-release. Elixir's `Version.match?/3`
   * defaults to `allow_pre: true`. `==`, `!=`, `<`, `<=` are never restricted.
   */
  allowPre?: boolean;
}

function matches(v: Version, { op, operand }: Clause, allowPre: boolean): boolean {
  const preOk = allowPre || operand.pre.length > 0 || v.pre.length === 0;
  const at = { ...operand, patch: operand.patch ?? 0 };
  const c = compareVersions(v, at);
  switch (op) {
    case '==': return c === 0;
    case '!=': return c !== 0;
    case '>': return c > 0 && preOk;
    case '>=': return c >= 0 && preOk;
    case '<': return c < 0;
    case '<=': return c <= 0;
    case '~>': {
      // Upper bound `X.Y.0-0` excludes every pre-release of the next minor (or major).
      const upper = operand.patch === null
        ? { major: operand.major + 1, minor: 0, patch: 0, pre: [0] }
        : { major: operand.major, minor: operand.minor + 1, patch: 0, pre: [0] };
      return c >= 0 && compareVersions(v, upper) < 0 && preOk;
    }
  }
}

/** Elixir `Version.match?/3`: does `version` satisfy `requirement`? Invalid strings throw VFLEET_SEMVER_INVALID. */
export function satisfies(
  version: Version | string,
  requirement: Requirement | string,
  options: SatisfiesOptions = {},
): boolean {
  const v = typeof version === 'string' ? parseVersion(version) : version;
  const req = typeof requirement === 'string' ? parseRequirement(requirement) : requirement;
  const allowPre = options.allowPre ?? false;
  return req.alternatives.some((group) => group.every((clause) => matches(v, clause, allowPre)));
}
