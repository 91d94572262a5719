import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { InstallEnv, InstallerFactory } from './installer.js';
import { absoluteDevicePath, optsError, plainFileName } from './installer-opts.js';
import { writeStaged } from './write-staged.js';

/**
 * `file` (protocol §5.7): the bytes land in `<path>/<binary uuid>` and `<path>/<name>` becomes a
 * relative symlink to it. Both appear by rename, so a failed or killed install leaves the old ones.
 * Unlike peridiod we never append to an existing `<uuid>` file (which could corrupt a reinstall).
 */
export const fileInstaller: InstallerFactory = (binary, opts) => {
  const name = plainFileName(opts, 'name');
  const dir = absoluteDevicePath(opts, 'path');
  if (name === binary.uuid) throw optsError('name', `${JSON.stringify(name)} is the binary's own file name`);
  const install = async (source: AsyncIterable<Buffer>, env: InstallEnv): Promise<void> => {
    const hostDir = env.paths.map(dir);
    await mkdir(hostDir, { recursive: true });
    const partial = join(hostDir, `.${binary.uuid}.partial`);
    try {
      await writeStaged(source, partial, 0o644, env.signal);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    await rename(partial, join(hostDir, binary.uuid));
    const link = join(hostDir, `.${binary.uuid}.link`);
    await rm(link, { force: true });
    await symlink(binary.uuid, link);
    await rename(link, join(hostDir, name));
  };
  return {
    installer: 'file',
    model: 'parallel',
    stream: install,
    // Path mode copies the (verified) file instead of linking to it: a link into the cache would dangle after pruning.
    path: (file, env) => install(createReadStream(file), env),
  };
};
