import { describe, expect, it } from 'vitest';
import { isVfleetError } from '@vfleet/core';
import { createRuntime, pickRuntime, type HostFacts } from './index.js';

const all: HostFacts['available'] = ['docker', 'podman', 'namespace', 'process', 'inproc'];

describe('runtime selection', () => {
  it('follows DESIGN.md: engine, then namespace as root on Linux, then process (inproc for big fleets)', () => {
    expect(pickRuntime({ engines: ['docker'], root: true, linux: true, available: all }, 10)).toBe('docker');
    expect(pickRuntime({ engines: ['podman'], root: false, linux: true, available: all }, 10)).toBe('podman');
    expect(pickRuntime({ engines: [], root: true, linux: true, available: all }, 10)).toBe('namespace');
    expect(pickRuntime({ engines: [], root: false, linux: true, available: all }, 10)).toBe('process');
    expect(pickRuntime({ engines: [], root: false, linux: true, available: all }, 5000)).toBe('inproc');
    expect(pickRuntime({ engines: [], root: true, linux: false, available: all }, 10)).toBe('process');
    // a runtime this build lacks is never picked
    expect(pickRuntime({ engines: ['docker'], root: true, linux: true, available: ['process', 'inproc'] }, 10)).toBe('process');
  });

  it('makes the named runtime, and names what exists when asked for another', () => {
    for (const name of ['docker', 'podman', 'namespace', 'process', 'inproc'] as const) expect(createRuntime(name, { home: '/tmp/x' }).name).toBe(name);
    const err = (() => {
      try {
        return createRuntime('bogus' as 'process', { home: '/tmp/x' });
      } catch (e) {
        return e;
      }
    })();
    expect(isVfleetError(err) && err.message).toMatch(/--runtime bogus: not available.*docker, podman, namespace, process, inproc/);
  });
});
