import { spawnSync } from 'node:child_process';
import { VfleetError } from '@vfleet/core';
import type { Runtime, RuntimeName, RuntimeOptions } from '../types.js';
import { createDockerRuntime } from './docker.js';
import { createInprocRuntime } from './inproc.js';
import { createNamespaceRuntime } from './namespace.js';
import { createProcessRuntime } from './process.js';

export const RUNTIME_NAMES: readonly RuntimeName[] = ['docker', 'podman', 'namespace', 'process', 'inproc'];

type Factory = (opts: RuntimeOptions) => Runtime;

/** Runtimes this build carries. */
const FACTORIES: Partial<Record<RuntimeName, Factory>> = {
  docker: (o) => createDockerRuntime({ ...o, engine: 'docker' }),
  podman: (o) => createDockerRuntime({ ...o, engine: 'podman' }),
  namespace: (o) => createNamespaceRuntime(o),
  process: (o) => createProcessRuntime(o),
  inproc: (o) => createInprocRuntime(o),
};

/** What auto-selection looks at, so the choice itself is a pure function. */
export interface HostFacts {
  engines: Array<'docker' | 'podman'>;
  root: boolean;
  linux: boolean;
  available: RuntimeName[];
}

/**
 * DESIGN.md's default: a container engine that answers, else namespaces when root on Linux, else
 * plain processes; fleets above ~200 devices that would be processes run in-process instead.
 */
export function pickRuntime(facts: HostFacts, count: number): RuntimeName {
  const has = (n: RuntimeName) => facts.available.includes(n);
  for (const engine of facts.engines) if (has(engine)) return engine;
  if (facts.root && facts.linux && has('namespace')) return 'namespace';
  return count > 200 && has('inproc') ? 'inproc' : 'process';
}

function engineAnswers(engine: 'docker' | 'podman'): boolean {
  const r = spawnSync(engine, ['info', '--format', '{{.ServerVersion}}'], { stdio: 'ignore', timeout: 10_000 });
  return r.status === 0;
}

export function hostFacts(): HostFacts {
  const available = RUNTIME_NAMES.filter((n) => FACTORIES[n] !== undefined);
  return {
    engines: (['docker', 'podman'] as const).filter((e) => available.includes(e) && engineAnswers(e)),
    root: process.getuid?.() === 0,
    linux: process.platform === 'linux',
    available,
  };
}

/** A runtime by name, or the host's best for `count` devices with 'auto'. */
export function createRuntime(name: RuntimeName | 'auto', opts: RuntimeOptions & { count?: number }): Runtime {
  const chosen = name === 'auto' ? pickRuntime(hostFacts(), opts.count ?? 0) : name;
  const factory = FACTORIES[chosen];
  if (!factory) {
    const have = RUNTIME_NAMES.filter((n) => FACTORIES[n] !== undefined).join(', ');
    throw new VfleetError('VFLEET_USAGE', `--runtime ${chosen}: not available in this build yet (available: ${have}, auto)`);
  }
  return factory(opts);
}

/** Every runtime this build knows, for `vfleet down` to clean up after any of them. */
export function allRuntimes(opts: RuntimeOptions): Runtime[] {
  return RUNTIME_NAMES.flatMap((n) => {
    const f = FACTORIES[n];
    return f ? [f(opts)] : [];
  });
}
