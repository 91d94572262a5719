// fwup's meta.conf (the compiled form inside an archive) into typed sections. Like fwup, unknown
// attributes and sections are ignored so that archives from newer fwup versions still read.
import { parseCUnsigned } from './c-number.js';
import type { Position } from './conf-lexer.js';
import { type ConfNode, type ConfValue, parseConf } from './conf-parse.js';
import { decodeFunlist } from './funlist.js';
import { fwupError } from './fwup-error.js';
import type { FwupCall, FwupMeta, FwupMetadata, FwupOnResource, FwupResource, FwupTask, FwupUbootEnv } from './meta-types.js';

export interface ParseMetaConfOptions {
  /** Names the text in errors; default "meta.conf". */
  source?: string;
  /** Values for `${NAME}` references (fwup resolves them from its environment when parsing). */
  variables?: Readonly<Record<string, string>>;
}

export const META_KEYS: ReadonlyArray<readonly [string, keyof FwupMetadata]> = [
  ['meta-product', 'product'],
  ['meta-description', 'description'],
  ['meta-version', 'version'],
  ['meta-author', 'author'],
  ['meta-platform', 'platform'],
  ['meta-architecture', 'architecture'],
  ['meta-creation-date', 'creationDate'],
  ['meta-fwup-version', 'fwupVersion'],
  ['meta-vcs-identifier', 'vcsIdentifier'],
  ['meta-misc', 'misc'],
  ['meta-uuid', 'uuid'],
  ['meta-nickname', 'nickname'],
];
const META = new Map(META_KEYS);

type Option = Extract<ConfNode, { kind: 'option' }>;
type Section = Extract<ConfNode, { kind: 'section' }>;

class Reader {
  constructor(readonly source: string) {}

  where(at: Position): string {
    return `${this.source}:${at.line}:${at.column}`;
  }

  scalar(node: Option): string {
    if (node.list) throw fwupError('archive', this.where(node.at), `${node.name} takes one value, not a {…} list`);
    return (node.values[0] as ConfValue).text;
  }

  /** A list attribute after `=` (replace) or `+=` (append); a single value is a one-item list. */
  list(node: Option, previous: readonly ConfValue[]): ConfValue[] {
    return node.append ? [...previous, ...node.values] : node.values;
  }

  unsigned(value: ConfValue, what: string): number {
    const n = parseCUnsigned(value.text);
    if (n === undefined) throw fwupError('archive', this.where(value.at), `${what}: ${JSON.stringify(value.text)} is not a non-negative integer`);
    return n;
  }

  title(node: Section, seen: Set<string>): string {
    if (node.title === undefined) throw fwupError('archive', this.where(node.at), `${node.name} section needs a title`);
    if (seen.has(node.title.text)) throw fwupError('archive', this.where(node.at), `found duplicate title ${JSON.stringify(node.title.text)} for ${node.name}`);
    seen.add(node.title.text);
    return node.title.text;
  }

  /** Calls of an on-* section: its `funlist`, plus any source-form `f(…)` calls in order. */
  onEvent(node: Section, what: string): { calls: FwupCall[]; delta: boolean } {
    let calls: FwupCall[] = [];
    let delta = false;
    for (const child of node.body) {
      if (child.kind === 'function') calls.push({ fn: child.name, args: child.args.map((a) => a.text) });
      else if (child.kind === 'option' && child.name === 'funlist') {
        const decoded = decodeFunlist(child.values, this.source, `${what} funlist`);
        calls = child.append ? [...calls, ...decoded] : decoded;
      } else if (child.kind === 'option' && child.name.startsWith('delta-source-')) delta = true;
    }
    return { calls, delta };
  }

  task(node: Section, name: string): FwupTask {
    const task: FwupTask = { name, requirements: [], onInit: [], onFinish: [], onError: [], onResource: [] };
    const events = new Set<string>();
    const resources = new Set<string>();
    for (const child of node.body) {
      const what = `task ${JSON.stringify(name)} ${child.name}`;
      if (child.kind === 'function' && child.name.startsWith('require-')) {
        task.requirements.push({ fn: child.name, args: child.args.map((a) => a.text) });
      } else if (child.kind === 'option' && child.name === 'reqlist') {
        const decoded = decodeFunlist(child.values, this.source, `${what}`);
        task.requirements = child.append ? [...task.requirements, ...decoded] : decoded;
      } else if (child.kind === 'option' && child.name === 'require-partition1-offset') {
        const text = this.scalar(child);
        if (text.trim() === '-1') delete task.partition1Offset;
        else task.partition1Offset = this.unsigned({ text, at: child.at }, what);
      } else if (child.kind === 'section' && child.name === 'on-resource') {
        const resource = this.title(child, resources);
        const { calls, delta } = this.onEvent(child, `${what} ${JSON.stringify(resource)}`);
        const entry: FwupOnResource = { resource, calls };
        if (delta) entry.delta = true;
        task.onResource.push(entry);
      } else if (child.kind === 'section' && ['on-init', 'on-finish', 'on-error'].includes(child.name)) {
        if (events.has(child.name)) throw fwupError('archive', this.where(child.at), `${what} appears twice`);
        events.add(child.name);
        const { calls } = this.onEvent(child, what);
        if (child.name === 'on-init') task.onInit = calls;
        else if (child.name === 'on-finish') task.onFinish = calls;
        else task.onError = calls;
      }
    }
    return task;
  }

  resource(node: Section, name: string): FwupResource {
    let lengths: ConfValue[] = [];
    const resource: FwupResource = { name, lengths: [0] };
    for (const child of node.body) {
      if (child.kind !== 'option') continue;
      if (child.name === 'length') lengths = this.list(child, lengths);
      else if (child.name === 'blake2b-256') resource.blake2b256 = this.scalar(child);
    }
    if (lengths.length > 0) resource.lengths = lengths.map((v) => this.unsigned(v, `file-resource ${JSON.stringify(name)} length`));
    return resource;
  }

  ubootEnv(node: Section, name: string): FwupUbootEnv {
    const what = `uboot-environment ${JSON.stringify(name)}`;
    const values = new Map<string, ConfValue>();
    for (const child of node.body) {
      if (child.kind === 'option') values.set(child.name, { text: this.scalar(child), at: child.at });
    }
    const get = (key: string): number | undefined => {
      const value = values.get(key);
      return value === undefined ? undefined : this.unsigned(value, `${what} ${key}`);
    };
    const blockOffset = get('block-offset');
    const blockCount = get('block-count');
    if (blockOffset === undefined) throw fwupError('archive', this.where(node.at), `${what}: block-offset must be specified`);
    if (blockCount === undefined || blockCount < 1 || blockCount >= 0xffff) {
      throw fwupError('archive', this.where(node.at), `${what}: block-count must be specified, greater than 0 and less than 65535`);
    }
    const env: FwupUbootEnv = { name, blockOffset, blockCount };
    const redund = get('block-offset-redund');
    if (redund !== undefined) {
      if (redund < blockOffset + blockCount && redund + blockCount > blockOffset) {
        throw fwupError('archive', this.where(node.at), `${what}: block-offset-redund ${redund} overlaps the primary env at blocks ${blockOffset}..${blockOffset + blockCount - 1}`);
      }
      env.blockOffsetRedund = redund;
    }
    return env;
  }
}

/** Parses meta.conf text (fwup's compiled form, or hand-written libconfuse syntax); errors name line:column. */
export function parseMetaConf(text: string, opts: ParseMetaConfOptions = {}): FwupMeta {
  const reader = new Reader(opts.source ?? 'meta.conf');
  const meta: FwupMeta = { metadata: {}, resources: [], ubootEnvs: [], tasks: [] };
  const titles = { 'file-resource': new Set<string>(), task: new Set<string>(), 'uboot-environment': new Set<string>() };
  for (const node of parseConf(text, { source: reader.source, variables: opts.variables ?? {} })) {
    if (node.kind === 'option') {
      const key = META.get(node.name);
      if (key !== undefined) meta.metadata[key] = reader.scalar(node);
      else if (node.name === 'require-fwup-version') meta.requireFwupVersion = reader.scalar(node);
    } else if (node.kind === 'section') {
      if (node.name === 'file-resource') meta.resources.push(reader.resource(node, reader.title(node, titles[node.name])));
      else if (node.name === 'task') meta.tasks.push(reader.task(node, reader.title(node, titles[node.name])));
      else if (node.name === 'uboot-environment') meta.ubootEnvs.push(reader.ubootEnv(node, reader.title(node, titles[node.name])));
    }
  }
  return meta;
}
