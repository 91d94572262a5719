// The `vfleet-agent` entry of the agent bundle (simulator/src/fleet/image.ts bundleAgent): the agent
// itself is agent.cjs beside this file, run from a V8 code cache kept beside it as well.
import { dirname, join, resolve } from 'node:path';
import { runWithCodeCache } from './code-cache.js';

const here = dirname(resolve(process.argv[1] ?? 'vfleet-agent.cjs'));
runWithCodeCache(join(here, 'agent.cjs'), join(here, `agent.cjs.${process.version}-${process.arch}.code-cache`));
