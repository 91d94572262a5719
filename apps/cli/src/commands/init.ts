import type { Command } from 'commander';
import { initWorkspace, resolveHome } from '@vfleet/simulator';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('create the workspace: root CA, cohort intermediate CAs, cohort signing keys')
    .option('--product <name>', 'product definition (fixtures/products/<name>.json)', 'edge-inference')
    .option('--organization <name>', 'organization name used in CA names', 'vfleet')
    .action((opts: { product: string; organization: string }) => {
      const home = resolveHome(program.opts<{ home?: string }>().home);
      const { manifest, created } = initWorkspace({ home, product: opts.product, organizationName: opts.organization });
      console.log(
        created.length === 0
          ? `workspace ${home} is complete (product ${manifest.product}); nothing to do`
          : `workspace ${home}: product ${manifest.product}, created ${created.length} file(s)`,
      );
    });
}
