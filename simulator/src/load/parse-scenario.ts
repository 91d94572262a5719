import { dirname, resolve } from 'node:path';
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { VfleetError, isHostPort, parseSize } from '@vfleet/core';
import { readRegularFile } from '@vfleet/core/fs/read-regular-file';
import { Fields } from '../backend/store/fields.js';
import { StoreError } from '../backend/store/errors.js';
import { checkTags, checkTarget } from '../devices/spec.js';
import type { RuntimeName } from '../fleet/types.js';
import { loadProduct, type Product } from '../product/product.js';
import type { Fault, Phase, PhaseValue, ProvisionPhase, RolloutStep, Scenario, ScenarioRelease, ScenarioTarget, WaitCondition } from './scenario.js';
import { isVersion, releaseIssues } from './release-rules.js';
import { parseThreshold, ThresholdSyntaxError, type Threshold } from './thresholds.js';
import { parseDuration, parsePercent, parseRate } from './units.js';
import { escapeControls } from '../agent/connect/log-text.js';
import { clip, quote, YamlReader, type ScenarioIssue } from './yaml-reader.js';

const RUNTIMES: readonly RuntimeName[] = ['inproc', 'process', 'namespace', 'docker', 'podman'];
const PHASES = ['provision', 'ramp', 'steady', 'rollout', 'wait', 'faults', 'teardown'] as const;
/** Largest scenario file read: hand-written YAML is a few KiB; the bound keeps parsing well under a second. */
export const MAX_SCENARIO_BYTES = 1024 * 1024;
/** The description is copied into every report. */
const MAX_DESCRIPTION_BYTES = 4096;

/** An invalid scenario: every issue with file, line and column; the message is the first of them. */
export class ScenarioError extends VfleetError {
  constructor(readonly file: string, readonly issues: ScenarioIssue[]) {
    const first = issues[0] as ScenarioIssue;
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
    super('VFLEET_USAGE', `${file}:${first.line}:${first.col}: ${first.path === '' ? '' : `${first.path}: `}${first.message}${more}`);
  }
}

/** Reads and validates a scenario file; relative paths in it resolve against its folder. */
export function readScenario(file: string): Scenario {
  return parseScenario(readSource(file), file, dirname(resolve(file)));
}

/** The file's text: a regular file of at most MAX_SCENARIO_BYTES (a FIFO or device would block or never end). */
function readSource(file: string): string {
  const r = readRegularFile(file, MAX_SCENARIO_BYTES);
  if (r.status === 'ok') return r.bytes.toString('utf8');
  const why = r.status === 'not-regular' ? `it is a ${r.kind}; expected a regular YAML file of at most ${MAX_SCENARIO_BYTES} bytes (1 MiB)`
    : r.status === 'too-big' ? `it is ${r.size ?? `more than ${MAX_SCENARIO_BYTES}`} bytes; at most ${MAX_SCENARIO_BYTES} (1 MiB) accepted`
    : r.error.message;
  throw new VfleetError('VFLEET_USAGE', `${file}: cannot read the scenario: ${why}`, 'error' in r ? { cause: r.error } : undefined);
}

/** Validates scenario YAML; throws ScenarioError naming `file:line:col` of each problem. */
export function parseScenario(source: string, file = '<scenario>', baseDir = process.cwd()): Scenario {
  const r = new YamlReader(source);
  const scenario = r.root === null && r.issues.length > 0 ? undefined : readRoot(r, r.root, baseDir);
  if (r.issues.length > 0 || !scenario) {
    if (r.issues.length === 0) r.fail(r.root, '', 'empty scenario');
    throw new ScenarioError(file, r.issues);
  }
  return { ...scenario, file };
}

function readRoot(r: YamlReader, root: Node | null, baseDir: string): Scenario | undefined {
  const top = r.map(root, '', ['name', 'description', 'seed', 'target', 'release', 'phases', 'thresholds', 'sample_interval', 'floor']);
  if (!top) return undefined;
  const name = top.has('name') ? r.string(top.get('name')?.value, 'name') : r.fail(root, 'name', 'missing: every scenario has a name');
  if (name !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) r.fail(top.get('name')?.value, 'name', `${quote(name)}: letters, digits, . _ - (it names the report files)`);
  const description = top.has('description') ? r.string(top.get('description')?.value, 'description') : undefined;
  if (description !== undefined && Buffer.byteLength(description) > MAX_DESCRIPTION_BYTES) {
    r.fail(top.get('description')?.value, 'description', `${Buffer.byteLength(description)} bytes; at most ${MAX_DESCRIPTION_BYTES} (4 KiB) accepted (it is copied into every report)`);
  }
  const seed = top.has('seed') ? r.int(top.get('seed')?.value, 'seed', 0, 2 ** 32 - 1) : 1;
  const target = readTarget(r, top.get('target')?.value, baseDir);
  const release = top.has('release') ? readRelease(r, top.get('release')?.value) : undefined;
  const sampleIntervalMs = top.has('sample_interval') ? r.parsed(top.get('sample_interval')?.value, 'sample_interval', parseDuration, 'a duration like 1s, at most 24 days') : 1000;
  // a sample is a line of the timeline: at most 10 a second
  if (sampleIntervalMs !== undefined && sampleIntervalMs < 100) r.fail(top.get('sample_interval')?.value, 'sample_interval', 'at least 100ms');
  const floor = top.has('floor') ? r.bool(top.get('floor')?.value, 'floor') : false;

  let phases: Phase[] = [];
  const phaseNodes = top.has('phases') ? r.seq(top.get('phases')?.value, 'phases', 'phases') : r.fail(root, 'phases', `missing: a list of phases (${PHASES.join(', ')})`);
  if (phaseNodes) {
    if (phaseNodes.length === 0) r.fail(top.get('phases')?.value, 'phases', `empty: give at least one phase (${PHASES.join(', ')})`);
    phases = phaseNodes.map((n, i) => readPhase(r, n, `phases[${i}]`)).filter((p): p is Phase => p !== undefined);
  }
  const thresholds: Threshold[] = [];
  if (top.has('thresholds')) {
    for (const [i, n] of (r.seq(top.get('thresholds')?.value, 'thresholds', 'threshold expressions like "p95(time_to_update) < 120s"') ?? []).entries()) {
      const text = r.string(n, `thresholds[${i}]`, 'a threshold expression like "p95(time_to_update) < 120s"');
      if (text === undefined) continue;
      try {
        thresholds.push(parseThreshold(text));
      } catch (e) {
        if (!(e instanceof ThresholdSyntaxError)) throw e;
        const p = r.pos(n);
        const quoted = isScalar(n) && (n.type === 'QUOTE_DOUBLE' || n.type === 'QUOTE_SINGLE') ? 1 : 0;
        r.issues.push({ line: p.line, col: p.col + quoted + e.offset, path: `thresholds[${i}]`, message: `${quote(text)}: ${clip(e.message)}` });
      }
    }
  }
  checkOrder(r, phases, release, target);
  if (name === undefined || seed === undefined || target === undefined || sampleIntervalMs === undefined || floor === undefined) return undefined;
  return {
    name,
    ...(description === undefined ? {} : { description }),
    seed,
    target,
    ...(release === undefined ? {} : { release }),
    phases,
    thresholds,
    sampleIntervalMs,
    floor,
  };
}

function readTarget(r: YamlReader, node: Node | null | undefined, baseDir: string): ScenarioTarget | undefined {
  if (node === undefined) return { runtime: 'inproc', sizeScale: 1 };
  const m = r.map(node, 'target', ['runtime', 'device_api', 'device_api_ca', 'hook', 'size_scale']);
  if (!m) return undefined;
  const runtime = m.has('runtime') ? r.string(m.get('runtime')?.value, 'target.runtime') : 'inproc';
  if (runtime !== undefined && !(RUNTIMES as readonly string[]).includes(runtime)) {
    r.fail(m.get('runtime')?.value, 'target.runtime', `${quote(runtime)}: expected one of ${RUNTIMES.join(', ')}`);
  }
  const deviceApi = m.has('device_api') ? r.string(m.get('device_api')?.value, 'target.device_api', 'host or host:port') : undefined;
  if (deviceApi !== undefined && !isHostPort(deviceApi)) r.fail(m.get('device_api')?.value, 'target.device_api', `${quote(deviceApi)}: expected host or host:port without a scheme, port 1–65535`);
  const ca = m.has('device_api_ca') ? r.string(m.get('device_api_ca')?.value, 'target.device_api_ca', 'a PEM file path') : undefined;
  const hook = m.has('hook') ? r.string(m.get('hook')?.value, 'target.hook', 'a command') : undefined;
  const scaleNode = m.get('size_scale')?.value;
  const sizeScale = m.has('size_scale') ? r.scalar(scaleNode, 'target.size_scale', 'a number 0 < x ≤ 1') : 1;
  if (sizeScale !== undefined && (typeof sizeScale !== 'number' || !(sizeScale > 0 && sizeScale <= 1))) r.fail(scaleNode, 'target.size_scale', `${quote(sizeScale)}: expected a number 0 < x ≤ 1 (EVK binary sizes times this)`);
  if (deviceApi !== undefined && m.has('size_scale')) r.fail(m.get('size_scale')?.key as Node, 'target.size_scale', 'only with the embedded backend (it seeds the EVK binaries)');
  if (deviceApi !== undefined && !m.has('device_api_ca')) r.fail(m.get('device_api')?.key as Node, 'target.device_api_ca', 'missing: a real device API needs the CA its devices trust (device_api_ca)');
  if (deviceApi === undefined && m.has('device_api_ca')) r.fail(m.get('device_api_ca')?.key as Node, 'target.device_api_ca', 'only with target.device_api (the embedded backend brings its own CA)');
  if (runtime === undefined || !(RUNTIMES as readonly string[]).includes(runtime) || typeof sizeScale !== 'number') return undefined;
  return {
    runtime: runtime as RuntimeName,
    sizeScale,
    ...(deviceApi === undefined ? {} : { deviceApi }),
    ...(ca === undefined ? {} : { deviceApiCa: resolve(baseDir, ca) }),
    ...(hook === undefined ? {} : { hook }),
  };
}

function readRelease(r: YamlReader, node: Node | null | undefined): ScenarioRelease | undefined {
  const m = r.map(node, 'release', ['name', 'version', 'create']);
  if (!m) return undefined;
  const nameNode = m.get('name')?.value;
  const versionNode = m.get('version')?.value;
  const name = m.has('name') ? r.string(nameNode, 'release.name') : r.fail(node, 'release.name', 'missing: the release name in the backend');
  const version = m.has('version') ? r.string(versionNode, 'release.version', 'a version like 2.0.0') : r.fail(node, 'release.version', 'missing: the version devices report once updated, e.g. 2.0.0');
  let create: ScenarioRelease['create'];
  let binaryNode: Node | null | undefined;
  let binaryBytes: number | undefined;
  if (m.has('create')) {
    const c = r.map(m.get('create')?.value, 'release.create', ['binary', 'reboot']);
    if (c) {
      binaryNode = c.get('binary')?.value;
      binaryBytes = c.has('binary')
        ? r.parsed(binaryNode, 'release.create.binary', (t) => sizeOrUndefined(t), 'a size like 16MiB')
        : r.fail(m.get('create')?.value, 'release.create.binary', 'missing: the size of the release binary, e.g. 16MiB');
      const reboot = c.has('reboot') ? r.bool(c.get('reboot')?.value, 'release.create.reboot') : false;
      if (binaryBytes !== undefined && reboot !== undefined) create = { binaryBytes, reboot };
    }
  }
  // the backend's rules (the admin API's for names, SemVer for the version, the upload limit), before anything starts;
  // a refused value is kept (the issue already fails the parse) so later checks do not report its absence
  for (const issue of releaseIssues({ name, version, binaryBytes })) {
    const value = issue.field === 'name' ? name : issue.field === 'version' ? version : undefined;
    const at = issue.field === 'name' ? nameNode : issue.field === 'version' ? versionNode : binaryNode;
    const message = value === undefined ? issue.message : `${quote(value)}: ${clip(escapeControls(issue.message.replace(JSON.stringify(value), quote(value))))}`;
    r.fail(at, issue.field === 'binary' ? 'release.create.binary' : `release.${issue.field}`, message);
  }
  if (name === undefined || version === undefined) return undefined;
  return { name, version, ...(create === undefined ? {} : { create }) };
}

function sizeOrUndefined(text: string): number | undefined {
  try {
    return parseSize(text, 'size');
  } catch {
    return undefined;
  }
}

/** A phase is `- name: {…}` (or a bare `- teardown`). */
function readPhase(r: YamlReader, node: Node, path: string): Phase | undefined {
  let kind: string | undefined;
  let body: Node | null | undefined;
  if (isScalar(node) && typeof node.value === 'string') kind = node.value;
  else if (isMap(node) && node.items.length === 1 && isScalar(node.items[0]?.key)) {
    kind = String((node.items[0]?.key as { value: unknown }).value);
    body = node.items[0]?.value as Node | null;
  } else return r.fail(node, path, `expected one phase: a mapping with one key of ${PHASES.join(', ')}`);
  if (!(PHASES as readonly string[]).includes(kind)) return r.fail(node, path, `unknown phase ${quote(kind)}; expected one of ${PHASES.join(', ')}`);
  const at = r.pos(node);
  const p = `${path}.${kind}`;
  switch (kind as (typeof PHASES)[number]) {
    case 'provision':
      return readProvision(r, body, p, node);
    case 'ramp': {
      const m = r.map(body, p, ['rate', 'jitter']);
      if (!m) return undefined;
      const rate = m.has('rate') ? r.parsed(m.get('rate')?.value, `${p}.rate`, parseRate, 'a rate like 50/s or 600/m') : r.fail(body, `${p}.rate`, 'missing: devices started per second, e.g. 50/s');
      if (rate === 0) r.fail(m.get('rate')?.value, `${p}.rate`, 'must be more than 0');
      const jitter = m.has('jitter') ? r.parsed(m.get('jitter')?.value, `${p}.jitter`, parsePercent, 'a percentage like 20%') : 0;
      if (jitter !== undefined && jitter > 1) r.fail(m.get('jitter')?.value, `${p}.jitter`, 'at most 100%');
      return rate === undefined || rate === 0 || jitter === undefined ? undefined : { kind: 'ramp', at, ratePerSecond: rate, jitter };
    }
    case 'steady': {
      const m = r.map(body, p, ['duration']);
      const d = m?.has('duration') ? r.parsed(m.get('duration')?.value, `${p}.duration`, parseDuration, 'a duration like 30s, at most 24 days') : m && r.fail(body, `${p}.duration`, 'missing: how long to hold, e.g. 30s');
      return d === undefined ? undefined : { kind: 'steady', at, durationMs: d };
    }
    case 'rollout':
      return readRollout(r, body, p, at);
    case 'wait': {
      const m = r.map(body, p, ['until', 'timeout']);
      if (!m) return undefined;
      const until = m.has('until') ? r.parsed(m.get('until')?.value, `${p}.until`, parseWait, 'a condition like "95% on 2.0.0", "all on 2.0.0", "10 on 2.0.0" or "100% online"') : r.fail(body, `${p}.until`, 'missing: a condition like "95% on 2.0.0"');
      const timeout = m.has('timeout') ? r.parsed(m.get('timeout')?.value, `${p}.timeout`, parseDuration, 'a duration like 120s, at most 24 days') : r.fail(body, `${p}.timeout`, 'missing: how long to wait at most, e.g. 120s');
      return until === undefined || timeout === undefined ? undefined : { kind: 'wait', at, until, timeoutMs: timeout };
    }
    case 'faults':
      return readFaults(r, body, p, at);
    case 'teardown':
      if (body !== undefined && body !== null && !(isMap(body) && body.items.length === 0)) r.fail(body, p, 'teardown takes no options');
      return { kind: 'teardown', at };
  }
}

function readProvision(r: YamlReader, body: Node | null | undefined, p: string, node: Node): ProvisionPhase | undefined {
  const m = r.map(body, p, ['count', 'evk', 'prefix', 'cohort', 'tags', 'target', 'poll_interval', 'env', 'disk', 'cache_encryption']);
  if (!m) return undefined;
  const evk = m.has('evk') ? r.bool(m.get('evk')?.value, `${p}.evk`) : false;
  if (evk && (m.has('count') || m.has('prefix') || m.has('tags'))) r.fail(m.get('evk')?.key as Node, p, 'evk: true makes the EVK six devices (ids and tags from the product); drop count, prefix and tags');
  const count = evk ? 6 : m.has('count') ? r.int(m.get('count')?.value, `${p}.count`, 1, 100_000) : r.fail(body, `${p}.count`, 'missing: how many devices (or evk: true)');
  const prefix = m.has('prefix') ? r.string(m.get('prefix')?.value, `${p}.prefix`) : 'LOAD';
  if (prefix !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,50}$/.test(prefix)) r.fail(m.get('prefix')?.value, `${p}.prefix`, `${quote(prefix)}: letters, digits, . _ - (device ids are <prefix>-0001…)`);
  const cohort = m.has('cohort') ? r.string(m.get('cohort')?.value, `${p}.cohort`) : undefined;
  const product = cohort === undefined ? undefined : shippedProduct();
  if (cohort !== undefined && product !== undefined && !product.cohorts.includes(cohort)) {
    r.fail(m.get('cohort')?.value, `${p}.cohort`, `${quote(cohort)}: expected one of ${product.cohorts.join(', ')} (the ${product.product} product's cohorts)`);
  }
  const tags = m.has('tags') ? readTags(r, m.get('tags')?.value, `${p}.tags`, 'device', 'tags') : [];
  const target = m.has('target') ? r.string(m.get('target')?.value, `${p}.target`) : undefined;
  if (target !== undefined) check(r, m.get('target')?.value, `${p}.target`, target, () => checkTarget(target, `${p}.target`));
  const poll = m.has('poll_interval') ? r.parsed(m.get('poll_interval')?.value, `${p}.poll_interval`, parseDuration, 'a duration like 5s, at most 24 days') : undefined;
  if (poll !== undefined && poll < 100) r.fail(m.get('poll_interval')?.value, `${p}.poll_interval`, 'at least 100ms');
  const env = m.has('env') ? r.string(m.get('env')?.value, `${p}.env`) : 'file';
  if (env !== undefined && env !== 'file' && env !== 'disk') r.fail(m.get('env')?.value, `${p}.env`, `${quote(env)}: expected file or disk`);
  const disk = m.has('disk') ? r.parsed(m.get('disk')?.value, `${p}.disk`, sizeOrUndefined, 'a size like 256MiB, or 0 for none') : env === 'disk' ? 64 * 1024 * 1024 : 0;
  if (env === 'disk' && disk === 0) r.fail(m.get('disk')?.value, `${p}.disk`, 'env: disk needs a disk image (not 0)');
  const cacheEncryption = m.has('cache_encryption') ? r.bool(m.get('cache_encryption')?.value, `${p}.cache_encryption`) : undefined;
  if (evk === undefined || count === undefined || prefix === undefined || tags === undefined || disk === undefined || (env !== 'file' && env !== 'disk')) return undefined;
  return {
    kind: 'provision',
    at: r.pos(node),
    evk,
    count,
    prefix,
    ...(cohort === undefined ? {} : { cohort }),
    tags,
    ...(target === undefined ? {} : { target }),
    ...(poll === undefined ? {} : { pollIntervalMs: poll }),
    env,
    diskBytes: disk,
    ...(cacheEncryption === undefined ? {} : { cacheEncryption }),
  };
}

function readRollout(r: YamlReader, body: Node | null | undefined, p: string, at: Phase['at']): Phase | undefined {
  const items = r.seq(body, p, 'steps (enable, disable, phase), each with an optional after: <duration>');
  if (!items) return undefined;
  if (items.length === 0) return r.fail(body, p, 'empty: give at least one step (enable, disable or phase)');
  const steps: RolloutStep[] = [];
  items.forEach((n, i) => {
    const sp = `${p}[${i}]`;
    if (isScalar(n) && (n.value === 'enable' || n.value === 'disable')) {
      steps.push({ action: n.value, afterMs: 0, at: r.pos(n) });
      return;
    }
    const m = r.map(n, sp, ['enable', 'disable', 'phase', 'after']);
    if (!m) return;
    const actions = ['enable', 'disable', 'phase'].filter((k) => m.has(k));
    if (actions.length !== 1) return r.fail(n, sp, 'expected exactly one of enable, disable, phase (plus an optional after:)');
    const afterMs = m.has('after') ? r.parsed(m.get('after')?.value, `${sp}.after`, parseDuration, 'a duration like 30s, at most 24 days') : 0;
    if (afterMs === undefined) return;
    const action = actions[0] as 'enable' | 'disable' | 'phase';
    const v = m.get(action)?.value;
    if (action === 'disable') {
      if (v !== null && v !== undefined && !(isScalar(v) && v.value === null)) r.fail(v, `${sp}.disable`, 'disable takes no value');
      steps.push({ action, afterMs, at: r.pos(n) });
    } else if (action === 'enable' && (v === null || v === undefined || (isScalar(v) && v.value === null))) {
      steps.push({ action, afterMs, at: r.pos(n) });
    } else {
      const phase = readPhaseValue(r, v, `${sp}.${action}`);
      if (phase) steps.push({ action, phase, afterMs, at: r.pos(n) });
    }
  });
  return { kind: 'rollout', at, steps };
}

/** `50%`, `0.5`, `10` (devices) or `{tags: [canary]}`. */
function readPhaseValue(r: YamlReader, node: Node | null | undefined, path: string): PhaseValue | undefined {
  if (isMap(node)) {
    const m = r.map(node, path, ['tags']);
    const tags = m?.has('tags') ? readTags(r, m.get('tags')?.value, `${path}.tags`, 'release', 'phase_tags') : m && r.fail(node, `${path}.tags`, 'missing: the phase tags');
    return tags === undefined ? undefined : { tags };
  }
  const want = 'a percentage (50%), a fraction 0..1, a device count ≥ 2, or {tags: [...]}';
  const v = r.scalar(node, path, want);
  if (v === undefined) return undefined;
  const text = String(v);
  const pct = parsePercent(text);
  if (pct !== undefined && pct <= 1) return { value: pct, text };
  if (typeof v === 'number' && v >= 0 && (v <= 1 || Number.isInteger(v))) return { value: v, text };
  return r.fail(node, path, `${quote(v)} is not ${want}`);
}

/**
 * Tags as the later layers take them: the device generator (checkTags: no commas, at most 100) and
 * the backend store (Fields.strings: at most 128 characters, no C0/C1 controls). Phase tags select
 * devices by their tags, so they keep to the same rules.
 */
function readTags(r: YamlReader, node: Node | null | undefined, path: string, entity: 'device' | 'release', field: 'tags' | 'phase_tags'): string[] | undefined {
  const tags = r.stringList(node, path);
  if (tags === undefined) return undefined;
  const both = (list: string[], where: string) => () => {
    checkTags(list, where);
    new Fields(entity, { [field]: list }, [field]).strings(field);
  };
  const nodes = isSeq(node) ? (node.items as Node[]) : [node as Node];
  let ok = true;
  tags.forEach((tag, i) => {
    const at = isSeq(node) ? `${path}[${i}]` : path;
    ok = check(r, nodes[i], at, tag, both([tag], at)) && ok;
  });
  if (ok) check(r, node, path, tags, both(tags, path));
  // refused tags are kept (their issues fail the parse) so the phase still counts for the checks after it
  return tags;
}

/**
 * Runs a later layer's validator now, so its refusal names `file:line:col` and the scenario path
 * instead of a flag or an API field; its own `where: ` prefix gives way to the path, and the value
 * it quotes whole is cut to 80 characters.
 */
function check(r: YamlReader, node: Node | null | undefined, path: string, value: unknown, validate: () => unknown, before = '', after = ''): boolean {
  try {
    validate();
    return true;
  } catch (e) {
    if (!(e instanceof VfleetError)) throw e;
    const prefix = e instanceof StoreError ? `${e.field}: ` : `${path}: `;
    const message = (e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message).replace(JSON.stringify(value), quote(value));
    r.fail(node, path, `${before}${clip(escapeControls(message))}${after}`);
    return false;
  }
}

let shipped: Product | undefined;
/** The product the load runner's embedded backend seeds (loadProduct's default); its cohorts are the ones a device can join. */
function shippedProduct(): Product {
  shipped ??= loadProduct();
  return shipped;
}

/** `95% on 2.0.0`, `all on 2.0.0`, `10 on 2.0.0`, `100% online`. */
export function parseWait(text: string): WaitCondition | undefined {
  const m = /^\s*(all|\d+(?:\.\d+)?%|\d+)\s+(?:on\s+(\S+)|(online))\s*$/.exec(text);
  if (!m) return undefined;
  const a = m[1] as string;
  const amount = a === 'all' ? { fraction: 1 } : a.endsWith('%') ? { fraction: (parsePercent(a) as number) } : { count: Number(a) };
  if ('fraction' in amount && amount.fraction > 1) return undefined;
  if (m[2] !== undefined && !isVersion(m[2])) return undefined;
  return { amount, state: m[2] !== undefined ? { version: m[2] } : { online: true }, text: text.trim() };
}

function readFaults(r: YamlReader, body: Node | null | undefined, p: string, at: Phase['at']): Phase | undefined {
  const items = r.seq(body, p, 'faults (kill, reboot, stop, start, binary)');
  if (!items) return undefined;
  const faults: Fault[] = [];
  items.forEach((n, i) => {
    const fp = `${p}[${i}]`;
    const m = r.map(n, fp, ['kill', 'reboot', 'stop', 'start', 'binary']);
    if (!m) return;
    if (m.size !== 1) return r.fail(n, fp, 'expected exactly one fault per list item');
    const [kind, pair] = [...m][0] as [string, { value: Node | null }];
    const pos = r.pos(n);
    if (kind === 'binary') {
      const b = r.map(pair.value, `${fp}.binary`, ['status', 'truncate', 'corrupt', 'duration']);
      if (!b) return;
      const status = b.has('status') ? r.int(b.get('status')?.value, `${fp}.binary.status`, 400, 599) : undefined;
      const truncateAt = b.has('truncate') ? r.parsed(b.get('truncate')?.value, `${fp}.binary.truncate`, sizeOrUndefined, 'a size like 1MiB') : undefined;
      const corrupt = b.has('corrupt') ? r.bool(b.get('corrupt')?.value, `${fp}.binary.corrupt`) : undefined;
      const durationMs = b.has('duration') ? r.parsed(b.get('duration')?.value, `${fp}.binary.duration`, parseDuration, 'a duration like 10s, at most 24 days') : r.fail(pair.value, `${fp}.binary.duration`, 'missing: how long the fault lasts, e.g. 10s');
      if (status === undefined && truncateAt === undefined && corrupt !== true) r.fail(pair.value, `${fp}.binary`, 'give status, truncate or corrupt: true');
      if (durationMs === undefined) return;
      faults.push({
        at: pos, fault: 'binary', durationMs,
        ...(status === undefined ? {} : { status }),
        ...(truncateAt === undefined ? {} : { truncateAt }),
        ...(corrupt === undefined ? {} : { corrupt }),
      });
      return;
    }
    const amount = r.parsed(pair.value, `${fp}.${kind}`, (t) => {
      if (t === 'all') return { fraction: 1 };
      const pct = parsePercent(t);
      if (pct !== undefined) return pct <= 1 ? { fraction: pct } : undefined;
      return /^\d+$/.test(t) && Number(t) > 0 ? { count: Number(t) } : undefined;
    }, 'a device count, a percentage like 10%, or all');
    if (amount) faults.push({ at: pos, fault: kind as 'kill' | 'reboot' | 'stop' | 'start', amount });
  });
  return { kind: 'faults', at, faults };
}

/** Checks that need the whole scenario: something to start, a release before a rollout, embedded-only features. */
function checkOrder(r: YamlReader, phases: Phase[], release: ScenarioRelease | undefined, target: ScenarioTarget | undefined): void {
  const issue = (ph: Phase, message: string) => r.issues.push({ line: ph.at.line, col: ph.at.col, path: `phases[${phases.indexOf(ph)}]`, message });
  let provisioned = false;
  for (const ph of phases) {
    if (ph.kind === 'provision') provisioned = true;
    else if (ph.kind === 'ramp' && !provisioned) issue(ph, 'ramp before any provision: there are no devices to start');
    if (ph.kind === 'rollout' && !release) issue(ph, 'rollout needs a top-level release: (name and version)');
    if (ph.kind === 'faults' && target?.deviceApi !== undefined) {
      for (const f of ph.faults) if (f.fault === 'binary') r.issues.push({ line: f.at.line, col: f.at.col, path: `phases[${phases.indexOf(ph)}]`, message: 'binary faults need the embedded backend (a real backend serves its own binaries)' });
    }
  }
  if (release?.create && target?.deviceApi !== undefined) r.issues.push({ line: 1, col: 1, path: 'release.create', message: 'release.create needs the embedded backend; against a real one, create the release there and name it' });
}
