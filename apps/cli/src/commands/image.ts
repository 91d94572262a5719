import type { Command } from 'commander';
import { VfleetError } from '@vfleet/core';
import { buildAgentImage, DEFAULT_AGENT_IMAGE } from '@vfleet/simulator';

export function registerImage(program: Command): void {
  const image = program.command('image').description('the agent container image');
  image
    .command('build')
    .description('bundle the agent and build the image (Dockerfile); --offline needs no registry')
    .option('--offline', "base image imported from this host's node and tools instead of node:20-bookworm-slim")
    .option('--tag <ref>', 'image reference', DEFAULT_AGENT_IMAGE)
    .option('--engine <name>', 'docker or podman', 'docker')
    .option('--base <ref>', 'base image for an online build (Dockerfile ARG BASE_IMAGE)')
    .action(async (opts: { offline?: boolean; tag: string; engine: string; base?: string }) => {
      if (opts.engine !== 'docker' && opts.engine !== 'podman') throw new VfleetError('VFLEET_USAGE', `--engine ${opts.engine}: expected docker or podman`);
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
