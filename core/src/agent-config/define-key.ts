import type { Codec, Issues } from './codecs.js';
import type { Segments } from './json-path.js';
import type { AgentConfig, KeyPairSource } from './types.js';

/** AgentConfig while parsing: the identity is resolved once key_pair_source is known. */
export type Draft = Omit<AgentConfig, 'node'> & {
  node: { source: KeyPairSource; config: Record<string, unknown> | null };
};

/** One `peridio.json` key: how to decode it, its default, its meaning, and where it lands. */
export interface ConfigKey {
  /** The key's place in the file, e.g. ['device_api', 'url'] or ['socket_enabled?']. */
  segments: readonly string[];
  type: string;
  /** The default as JSON, or as prose when it is computed by peridiod at run time. */
  defaultText: string;
  meaning: string;
  applyDefault(draft: Draft): void;
  apply(draft: Draft, raw: unknown, at: Segments, issues: Issues): void;
}

interface KeySpec<T> {
  key: string;
  codec: Codec<T>;
  default: NoInfer<T>;
  /** Prose for defaults that are not fixed values (null in the typed config). */
  defaultDoc?: string;
  meaning: string;
  set: (draft: Draft, value: T) => void;
}

function show(value: unknown): string {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'start' in value && 'end' in value) {
    return JSON.stringify(`${String(value.start)}-${String(value.end)}`);
  }
  return JSON.stringify(value);
}

/** `key` is the dotted JSON path as the protocol writes it, e.g. `remote_access_tunnels.hooks.pre_up`. */
export function defineKey<T>(spec: KeySpec<T>): ConfigKey {
  return {
    segments: spec.key.split('.'),
    type: spec.codec.type,
    defaultText: spec.defaultDoc ?? show(spec.default),
    meaning: spec.meaning,
    applyDefault: (draft) => spec.set(draft, structuredClone(spec.default)),
    apply(draft, raw, at, issues) {
      const value = spec.codec.decode(raw, at, issues);
      if (value !== undefined) spec.set(draft, value);
    },
  };
}
