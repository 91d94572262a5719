// libconfuse's grammar as a tree: `name = value`, `name = {a, b}`, `name += …`, `name [title] { … }`
// and `name(args)`. What the names mean is decided by meta-conf.ts.
import { fwupError } from './fwup-error.js';
import { type LexOptions, type Position, type Token, tokenize } from './conf-lexer.js';

export interface ConfValue {
  text: string;
  at: Position;
}

export type ConfNode =
  | { kind: 'option'; name: string; values: ConfValue[]; list: boolean; append: boolean; at: Position }
  | { kind: 'section'; name: string; title?: ConfValue; body: ConfNode[]; at: Position }
  | { kind: 'function'; name: string; args: ConfValue[]; at: Position };

type Kind = Token['kind'];

/** Sections nest a few levels in meta.conf (task → on-resource); deeper is refused before the stack runs out. */
const MAX_NESTING = 16;

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly source: string,
  ) {}

  private peek(): Token {
    return this.tokens[this.pos] as Token;
  }

  private take(): Token {
    return this.tokens[this.pos++] as Token;
  }

  fail(token: Token, detail: string): never {
    throw fwupError('archive', `${this.source}:${token.at.line}:${token.at.column}`, detail);
  }

  private describe(token: Token): string {
    if (token.kind === 'string') return JSON.stringify(token.text);
    return token.kind === 'end' ? 'the end of the file' : `"${token.kind}"`;
  }

  private expect(kind: Kind, what: string): Token {
    const token = this.take();
    if (token.kind !== kind) this.fail(token, `expected ${what}, found ${this.describe(token)}`);
    return token;
  }

  private value(what: string): ConfValue {
    const token = this.take();
    if (token.kind !== 'string') this.fail(token, `expected ${what}, found ${this.describe(token)}`);
    return { text: token.text, at: token.at };
  }

  /** `{ a, b, … }` or `( a, b, … )` after the opening bracket was consumed. */
  private items(close: '}' | ')', what: string): ConfValue[] {
    const values: ConfValue[] = [];
    if (this.peek().kind === close) {
      this.take();
      return values;
    }
    for (;;) {
      values.push(this.value(what));
      const next = this.take();
      if (next.kind === close) return values;
      if (next.kind !== ',') this.fail(next, `expected "," or "${close}" in ${what}s, found ${this.describe(next)}`);
    }
  }

  body(closing: boolean, opening?: Token): ConfNode[] {
    if (closing && ++this.depth > MAX_NESTING) this.fail(opening ?? this.peek(), `sections nested deeper than ${MAX_NESTING} levels`);
    const nodes: ConfNode[] = [];
    for (;;) {
      const token = this.take();
      if (token.kind === (closing ? '}' : 'end')) {
        if (closing) this.depth--;
        return nodes;
      }
      if (token.kind !== 'string') this.fail(token, `expected an option or section name, found ${this.describe(token)}`);
      nodes.push(this.statement(token.text, token.at));
    }
  }

  private statement(name: string, at: Position): ConfNode {
    const next = this.take();
    if (next.kind === '=' || next.kind === '+=') {
      const append = next.kind === '+=';
      if (this.peek().kind === '{') {
        this.take();
        return { kind: 'option', name, values: this.items('}', 'list value'), list: true, append, at };
      }
      return { kind: 'option', name, values: [this.value(`a value for ${name}`)], list: false, append, at };
    }
    if (next.kind === '(') return { kind: 'function', name, args: this.items(')', 'argument'), at };
    if (next.kind === '{') return { kind: 'section', name, body: this.body(true, next), at };
    if (next.kind === 'string') {
      const open = this.expect('{', `"{" after section ${name} ${JSON.stringify(next.text)}`);
      return { kind: 'section', name, title: { text: next.text, at: next.at }, body: this.body(true, open), at };
    }
    return this.fail(next, `expected "=", "+=", "(", "{" or a section title after ${JSON.stringify(name)}, found ${this.describe(next)}`);
  }
}

/** Parses libconfuse syntax into a tree; errors name `source:line:column`. */
export function parseConf(text: string, opts: LexOptions): ConfNode[] {
  return new Parser(tokenize(text, opts), opts.source).body(false);
}
