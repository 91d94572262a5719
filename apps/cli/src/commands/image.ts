import type { Command } from 'commander';
import { VfleetError } from '@vfleet/core';
import { buildAgentImage, DEFAULT_AGENT_IMAGE, OFFLINE_BASE_IMAGE } from '@vfleet/simulator';
import { choiceFlag } from '../flags.js';

export function registerImage(program: Command): void {
  const image = program.command('image').description('the agent container image');
  image
    .command('build')
    .description('bundle the agent and build the image (Dockerfile); --offline needs no registry')
    .option('--offline', "base image imported from this host's node and tools instead of node:20-bookworm-slim")
    .option('--tag <ref>', 'image reference', DEFAULT_AGENT_IMAGE)
    .option('--engine <name>', 'docker or podman', choiceFlag('--engine', ['docker', 'podman'] as const), 'docker')
    .option('--base <ref>', 'base image for an online build (Dockerfile ARG BASE_IMAGE)')
    .action(async (opts: { offline?: boolean; tag: string; engine: 'docker' | 'podman'; base?: string }) => {
      // --offline imports its own base: a --base beside it would be dropped without a word
      if (opts.offline === true && opts.base !== undefined) {
        throw new VfleetError('VFLEET_USAGE', `--base ${JSON.stringify(opts.base)} with --offline: the offline build's base is always ${OFFLINE_BASE_IMAGE}, imported from this host; drop one of them`);
      }
      const r = await buildAgentImage({
        engine: opts.engine,
        tag: opts.tag,
        offline: opts.offline === true,
        ...(opts.base === undefined ? {} : { baseImage: opts.base }),
        say: (line) => console.log(line),
      });
      console.log(`built ${r.tag} on ${r.base} in ${(r.ms / 1000).toFixed(1)} s`);
    });
}
