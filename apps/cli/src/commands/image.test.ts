import { describe, expect, it } from 'vitest';
import { buildProgram } from '../program.js';

describe('vfleet image build flags', () => {
  it('refuses --base with --offline instead of building on the imported base without a word', async () => {
    // podman: should the check be missing, the build fails at the engine (none here) instead of building anything
    const argv = ['image', 'build', '--offline', '--base', 'node:22-slim', '--engine', 'podman', '--tag', 'vft-cli/never:1'];
    await expect(buildProgram().parseAsync(argv, { from: 'user' })).rejects.toThrow(
      '--base "node:22-slim" with --offline: the offline build\'s base is always vfleet-base:local, imported from this host; drop one of them',
    );
  });
});
