import { jsonPath } from './json-path.js';
import { KEY_PAIR_KEYS } from './key-pair.js';
import { CONFIG_KEYS } from './keys.js';

export interface ConfigKeyDoc {
  /** Dotted key as the protocol writes it, e.g. `device_api.url`, `socket_enabled?`. */
  key: string;
  jsonPath: string;
  type: string;
  /** JSON of the default, or prose when peridiod computes it at run time. */
  default: string;
  meaning: string;
}

/** Every peridio.json key with type, default and meaning (for docs and CLI help). */
export function describeConfigKeys(): ConfigKeyDoc[] {
  const main = CONFIG_KEYS.map((k) => ({
    key: k.segments.join('.'),
    jsonPath: jsonPath(k.segments),
    type: k.type,
    default: k.defaultText,
    meaning: k.meaning,
  }));
  const identity = KEY_PAIR_KEYS.map((k) => ({
    key: `node.key_pair_config.${k.key}`,
    jsonPath: jsonPath(['node', 'key_pair_config', k.key]),
    type: k.codec.type,
    default: 'null',
    meaning: `[${k.sources.join(', ')}] ${k.meaning}`,
  }));
  return [...main, ...identity];
}
