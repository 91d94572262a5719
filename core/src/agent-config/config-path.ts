import { join } from 'node:path';
import { VfleetError } from '../errors.js';

/**
 * Where peridiod looks for its config (protocol §1.1): PERIDIO_CONFIG_FILE, else
 * $XDG_CONFIG_HOME/peridio/peridio-config.json, else $HOME/.config/peridio/peridio-config.json.
 * Empty variables count as unset (peridiod would try to read "" and fall back to defaults).
 */
export function configPathFromEnv(env: Readonly<Record<string, string | undefined>>): string {
  const set = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);
  const explicit = set('PERIDIO_CONFIG_FILE');
  if (explicit !== undefined) return explicit;
  const configHome = set('XDG_CONFIG_HOME') ?? (set('HOME') === undefined ? undefined : join(set('HOME') as string, '.config'));
  if (configHome === undefined) {
    throw new VfleetError('VFLEET_CONFIG_INVALID', 'cannot locate peridio.json: PERIDIO_CONFIG_FILE, XDG_CONFIG_HOME and HOME are all unset');
  }
  return join(configHome, 'peridio', 'peridio-config.json');
}
