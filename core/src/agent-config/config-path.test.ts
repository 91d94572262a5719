import { describe, it, expect } from 'vitest';
import { configPathFromEnv } from './index.js';

describe('configPathFromEnv', () => {
  it('prefers PERIDIO_CONFIG_FILE', () => {
    expect(configPathFromEnv({ PERIDIO_CONFIG_FILE: '/etc/peridiod/peridio.json', XDG_CONFIG_HOME: '/x', HOME: '/h' }))
      .toBe('/etc/peridiod/peridio.json');
  });

  it('then $XDG_CONFIG_HOME/peridio/peridio-config.json', () => {
    expect(configPathFromEnv({ XDG_CONFIG_HOME: '/xdg', HOME: '/home/u' })).toBe('/xdg/peridio/peridio-config.json');
  });

  it('then $HOME/.config/peridio/peridio-config.json, treating empty variables as unset', () => {
    expect(configPathFromEnv({ PERIDIO_CONFIG_FILE: '', XDG_CONFIG_HOME: '', HOME: '/home/u' }))
      .toBe('/home/u/.config/peridio/peridio-config.json');
  });

  it('throws VFLEET_CONFIG_INVALID when nothing is set', () => {
    expect(() => configPathFromEnv({})).toThrow(/PERIDIO_CONFIG_FILE, XDG_CONFIG_HOME and HOME are all unset/);
  });
});
