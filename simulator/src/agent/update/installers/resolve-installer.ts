import type { AgentConfig } from '@vfleet/core';
import { VfleetError } from '@vfleet/core';
import type { UpdateBinary } from '../model.js';
import { describeValue, isObject } from '../validate/fields.js';
import { cacheInstaller } from './cache-installer.js';
import { fileInstaller } from './file-installer.js';
import { fwupInstaller } from './fwup-installer.js';
import type { InstallerFactory, InstallerName, InstallJob } from './installer.js';
import { debInstaller, opkgInstaller, rpmInstaller } from './package-installers.js';
import { swupdateInstaller } from './swupdate-installer.js';

export type InstallerFactories = Readonly<Record<InstallerName, InstallerFactory>>;

export const BUILTIN_INSTALLERS: InstallerFactories = {
  file: fileInstaller, cache: cacheInstaller, deb: debInstaller, rpm: rpmInstaller, opkg: opkgInstaller,
  swupdate: swupdateInstaller, fwup: fwupInstaller,
};

const fail = (what: string): never => {
  throw new VfleetError('VFLEET_CONFIG_INVALID', what);
};

/** The installer of `custom_metadata.peridiod.installer` with its validated `installer_opts`. */
export function resolveInstaller(binary: UpdateBinary, config: AgentConfig, factories: InstallerFactories): InstallJob {
  const peridiod = binary.customMetadata['peridiod'];
  if (!isObject(peridiod)) return fail('custom_metadata.peridiod: missing, so no installer is named');
  const name = peridiod['installer'];
  if (typeof name !== 'string') return fail(`custom_metadata.peridiod.installer: expected an installer name, found ${describeValue(name)}`);
  if (!Object.hasOwn(factories, name)) {
    return fail(`custom_metadata.peridiod.installer: unknown installer ${describeValue(name)} (known: ${Object.keys(factories).join(', ')})`);
  }
  const opts = peridiod['installer_opts'] ?? {};
  if (!isObject(opts)) return fail(`custom_metadata.peridiod.installer_opts: expected an object, found ${describeValue(opts)}`);
  return factories[name as InstallerName](binary, opts, config);
}
