import type { Command } from 'commander';
import { createAdminClient, resolveHome, seedEvk, startBackend } from '@vfleet/simulator';
import { intFlag } from '../flags.js';
import { adminFrom, adminUrlOption } from '../admin.js';

interface BackendFlags {
  host: string;
  port: number;
  adminPort: number;
  binaryPort: number;
  publicHost?: string;
  seedEvk?: boolean;
}

export function registerBackend(program: Command): void {
  const home = () => resolveHome(program.opts<{ home?: string }>().home);
  program
    .command('backend')
    .description('run the embedded Peridio-compatible backend in the foreground (Ctrl-C stops it)')
    .option('--host <addr>', 'device API bind address', '127.0.0.1')
    .option('--port <n>', 'device API port (HTTPS, mTLS, WebSocket)', intFlag('--port', 0, 65535), 4443)
    .option('--admin-port <n>', 'admin API port (loopback, bearer token)', intFlag('--admin-port', 0, 65535), 4000)
    .option('--binary-port <n>', 'plain-HTTP binary download port', intFlag('--binary-port', 0, 65535), 4080)
    .option('--public-host <name>', 'host name devices use (certificate SAN, binary URLs)')
    .option('--seed-evk', 'create the EVK product if it is missing')
    .action(async (flags: BackendFlags) => {
      const backend = await startBackend({
        home: home(),
        host: flags.host,
        port: flags.port,
        adminPort: flags.adminPort,
        binaryPort: flags.binaryPort,
        ...(flags.publicHost === undefined ? {} : { publicHost: flags.publicHost }),
      });
      if (flags.seedEvk) {
        const { created } = await seedEvk({ home: home(), client: createAdminClient(backend.admin.url, backend.adminToken), log: (l) => console.log(l) });
        console.log(`EVK product: ${created} item(s) created`);
      }
      console.log(`device API  ${backend.deviceApiUrl} (CA ${backend.deviceApiCaPath})`);
      console.log(`binaries    http://${flags.publicHost ?? flags.host}:${backend.binaryPort}`);
      console.log(`admin API   ${backend.admin.url} (token in ${home()}/admin-token)`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      console.log('stopping backend');
      await backend.close();
    });

  const evk = program.command('evk').description('the Peridio EVK story');
  evk
    .command('seed')
    .description('create the EVK product (cohorts, CAs, keys, artifacts, r1001, r1002) in a running backend')
    .option(...adminUrlOption)
    .option('--size-scale <x>', 'binary sizes are the EVK sizes times this', (v) => Number(v), 1)
    .action(async (flags: { adminUrl: string; sizeScale: number }) => {
      const { created } = await seedEvk({ home: home(), client: adminFrom(program, flags), sizeScale: flags.sizeScale, log: (l) => console.log(l) });
      console.log(created === 0 ? 'EVK product already complete' : `EVK product: ${created} item(s) created`);
    });
}
