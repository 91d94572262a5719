import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';
import { cutUnits, escapeControls } from '../agent/connect/log-text.js';
import type { SourcePos } from './scenario.js';

const QUOTE_CHARS = 80;

/** Cuts `text` to `max` characters plus `…` (never inside a surrogate pair), so a huge value cannot flood a one-line error. */
export function clip(text: string, max = 200): string {
  return text.length <= max ? text : `${cutUnits(text, max)}…`;
}

/** A value as an error message quotes it: JSON (C1 controls escaped too), cut to 80 characters. */
export function quote(value: unknown): string {
  return clip(escapeControls(JSON.stringify(value) ?? String(value)), QUOTE_CHARS);
}

/** One problem in a scenario file: where, which path, what is wrong and what would be accepted. */
export interface ScenarioIssue {
  line: number;
  col: number;
  path: string;
  message: string;
}

/**
 * Typed reads over a YAML document that remember each node's line and column, so the parser can
 * name `file:line:col` and the path (`phases[2].ramp.rate`) of every value it refuses.
 */
export class YamlReader {
  readonly issues: ScenarioIssue[] = [];
  readonly root: Node | null;
  private readonly lines = new LineCounter();

  constructor(source: string) {
    // yaml's own uniqueKeys compares every key with every other (over a minute for a 1 MiB mapping); duplicateKeys is linear
    const doc = parseDocument(source, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: false });
    for (const e of doc.errors) {
      const p = this.lines.linePos(e.pos[0]);
      this.issues.push({ line: p.line, col: p.col, path: '', message: `YAML: ${clip(escapeControls(e.message.split('\n')[0] ?? e.code))}` });
    }
    if (doc.errors.length === 0) this.duplicateKeys(doc.contents as Node | null);
    this.root = this.issues.length > 0 ? null : (doc.contents as Node | null);
  }

  /** Every mapping's repeated scalar keys, as yaml's uniqueKeys finds them, in document order; iterative, so depth cannot overflow the stack. */
  private duplicateKeys(root: Node | null): void {
    const stack: unknown[] = [root];
    while (stack.length > 0) {
      const node = stack.pop();
      const children: unknown[] = [];
      if (isMap(node)) {
        const seen = new Set<unknown>();
        for (const pair of node.items) {
          if (isScalar(pair.key)) {
            if (seen.has(pair.key.value)) this.fail(pair.key, '', `YAML: Map keys must be unique; ${quote(pair.key.value)} is repeated`);
            seen.add(pair.key.value);
          }
          children.push(pair.key, pair.value);
        }
      } else if (isSeq(node)) {
        for (const item of node.items) children.push(isPair(item) ? item.value : item);
      }
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
    }
  }

  pos(node: Node | null | undefined): SourcePos {
    const offset = node?.range?.[0] ?? 0;
    return this.lines.linePos(offset);
  }

  /** Records a problem at `node`; returns undefined so callers can `return r.fail(...)`. */
  fail(node: Node | null | undefined, path: string, message: string): undefined {
    const p = this.pos(node);
    this.issues.push({ line: p.line, col: p.col, path, message });
    return undefined;
  }

  /** The pairs of a mapping, after checking that every key is known. */
  map(node: Node | null | undefined, path: string, allowed: readonly string[]): Map<string, Pair<Node, Node | null>> | undefined {
    if (!isMap(node)) return this.fail(node, path, `expected a mapping with keys ${allowed.join(', ')}`);
    const out = new Map<string, Pair<Node, Node | null>>();
    for (const pair of (node as YAMLMap<Node, Node | null>).items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key === undefined || !allowed.includes(key)) {
        this.fail(pair.key, path, `unknown key ${quote(key ?? '?')}; expected one of ${allowed.join(', ')}`);
        continue;
      }
      out.set(key, pair);
    }
    return out;
  }

  seq(node: Node | null | undefined, path: string, what: string): Node[] | undefined {
    if (!isSeq(node)) return this.fail(node, path, `expected a list of ${what}`);
    return (node as YAMLSeq<Node>).items;
  }

  /** A scalar's value as written (numbers and booleans included), or undefined with an issue. */
  scalar(node: Node | null | undefined, path: string, want: string): string | number | boolean | undefined {
    if (!isScalar(node) || node.value === null || node.value === undefined) return this.fail(node, path, `expected ${want}`);
    const v = node.value;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
    return this.fail(node, path, `expected ${want}`);
  }

  string(node: Node | null | undefined, path: string, want = 'a string'): string | undefined {
    const v = this.scalar(node, path, want);
    if (v === undefined) return undefined;
    if (typeof v === 'boolean') return this.fail(node, path, `expected ${want}, got ${v}`);
    return String(v);
  }

  bool(node: Node | null | undefined, path: string): boolean | undefined {
    const v = this.scalar(node, path, 'true or false');
    if (v === undefined || typeof v === 'boolean') return v;
    return this.fail(node, path, `expected true or false, got ${quote(v)}`);
  }

  int(node: Node | null | undefined, path: string, min: number, max: number): number | undefined {
    const v = this.scalar(node, path, `a whole number from ${min} to ${max}`);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) return this.fail(node, path, `${quote(v)}: expected a whole number from ${min} to ${max}`);
    return v;
  }

  /** A string value parsed by `parse`; `want` names the accepted forms. */
  parsed<T>(node: Node | null | undefined, path: string, parse: (text: string) => T | undefined, want: string): T | undefined {
    const v = this.scalar(node, path, want);
    if (v === undefined) return undefined;
    const out = parse(String(v));
    return out === undefined ? this.fail(node, path, `${quote(v)} is not ${want}`) : out;
  }

  stringList(node: Node | null | undefined, path: string): string[] | undefined {
    if (isScalar(node) && typeof node.value === 'string') return [node.value];
    const items = this.seq(node, path, 'strings');
    if (!items) return undefined;
    const out = items.map((n, i) => this.string(n, `${path}[${i}]`));
    return out.every((x): x is string => x !== undefined) ? out : undefined;
  }
}
