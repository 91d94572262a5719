import type { Command } from 'commander';
import { buildAgentImage, DEFAULT_AGENT_IMAGE } from '@vfleet/simulator';
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
