import type { Issues } from './codecs.js';
import { CONFIG_KEYS } from './keys.js';
import type { Draft } from './define-key.js';
import { isPlainObject, describeFound, jsonPath } from './json-path.js';
import { locateJsonError } from './json-syntax.js';
import { resolveIdentity } from './key-pair.js';
import { closest } from './suggest.js';
import type { AgentConfig, AgentConfigResult } from './types.js';

// Segments joined with NUL, so a JSON key that itself contains "." cannot pose as a nested path.
const id = (segments: readonly string[]): string => segments.join('\u0000');
const LEAVES = new Set(CONFIG_KEYS.map((k) => id(k.segments)));
const OBJECTS = new Set(CONFIG_KEYS.flatMap((k) => k.segments.slice(0, -1).map((_, i) => id(k.segments.slice(0, i + 1)))));

function children(parent: readonly string[]): string[] {
  return CONFIG_KEYS
    .filter((k) => k.segments.length > parent.length && id(k.segments.slice(0, parent.length)) === id(parent))
    .map((k) => k.segments[parent.length] as string);
}

/** Reports unknown keys (peridiod ignores them) and non-object parents. */
function checkShape(obj: Record<string, unknown>, at: string[], issues: Issues): void {
  for (const [name, value] of Object.entries(obj)) {
    const here = [...at, name];
    if (LEAVES.has(id(here))) continue;
    if (OBJECTS.has(id(here))) {
      if (value === null) continue;
      if (isPlainObject(value)) checkShape(value, here, issues);
      else issues.errors.push({ path: jsonPath(here), message: `expected an object, found ${describeFound(value)}` });
      continue;
    }
    const guess = closest(name, new Set(children(at)));
    issues.warnings.push({ path: jsonPath(here), message: `unknown key, ignored by peridiod${guess ? ` (did you mean "${guess}"?)` : ''}` });
  }
}

function lookup(root: Record<string, unknown>, segments: readonly string[]): unknown {
  let node: unknown = root;
  for (const s of segments) node = isPlainObject(node) ? node[s] : undefined;
  return node;
}

function emptyDraft(): Draft {
  const draft = { deviceApi: {}, fwup: {}, distributions: {}, remoteAccessTunnels: { hooks: {} }, networkMonitor: {}, node: {} };
  return draft as Draft;
}

/** The configuration peridiod runs with when peridio.json sets nothing. */
export function defaultAgentConfig(): AgentConfig {
  const result = parseAgentConfig({}, 'defaults');
  if (!result.ok) throw new Error('built-in defaults do not parse');
  return result.config;
}

function fromText(text: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (e) {
    const where = locateJsonError(text);
    return { error: where ? `invalid JSON at line ${where.line}, column ${where.column}: ${where.reason}` : `invalid JSON: ${String(e)}` };
  }
}

/**
 * Validates a peridio.json (text, or an already parsed value) against protocol §1. A key set to
 * null counts as absent; unknown keys become warnings with their JSON path. `source` (a file
 * name) is carried into the result for messages.
 */
export function parseAgentConfig(input: unknown, source: string): AgentConfigResult {
  let root = input;
  if (typeof input === 'string') {
    const parsed = fromText(input);
    if ('error' in parsed) return { ok: false, source, errors: [{ path: '$', message: parsed.error }] };
    root = parsed.value;
  }
  if (!isPlainObject(root)) {
    return { ok: false, source, errors: [{ path: '$', message: `expected a JSON object at the top level, found ${describeFound(root)}` }] };
  }
  const issues: Issues = { errors: [], warnings: [] };
  checkShape(root, [], issues);
  const draft = emptyDraft();
  for (const key of CONFIG_KEYS) key.applyDefault(draft);
  for (const key of CONFIG_KEYS) {
    const raw = lookup(root, key.segments);
    if (raw !== undefined && raw !== null) key.apply(draft, raw, key.segments, issues);
  }
  const node = resolveIdentity(draft.node.source, draft.node.config, issues);
  if (issues.errors.length > 0 || node === undefined) return { ok: false, source, errors: issues.errors };
  return { ok: true, source, config: { ...draft, node }, warnings: issues.warnings };
}
