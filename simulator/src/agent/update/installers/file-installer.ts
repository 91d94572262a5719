import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, rename, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { makeDeviceDir } from '../../connect/device-paths.js';
import type { InstallEnv, InstallerFactory } from './installer.js';
import { absoluteDevicePath, optsError, plainFileName } from './installer-opts.js';
import { writeStaged } from './write-staged.js';

type Staging = 'partial' | 'link';

/** A random name: the uuid alone is in the manifest, so a file or link could be planted under it. */
function stagingName(uuid: string, kind: Staging): string {
  return `.${uuid}.${randomBytes(8).toString('hex')}.${kind}`;
}

/** Staging files a killed install left (their names are never reused); a link is removed, not followed. */
async function removeLeftovers(dir: string, uuid: string): Promise<void> {
  const stale = (await readdir(dir, { withFileTypes: true })).filter(
    (e) => !e.isDirectory() && e.name.startsWith(`.${uuid}.`) && (e.name.endsWith('.partial') || e.name.endsWith('.link')),
  );
  await Promise.all(stale.map((e) => rm(join(dir, e.name), { force: true })));
}

/**
 * `file` (protocol §5.7): the bytes land in `<path>/<binary uuid>` and `<path>/<name>` becomes a
 * relative symlink to it. Both appear by rename, so a failed or killed install leaves the old ones.
 * Unlike peridiod we never append to an existing `<uuid>` file (which could corrupt a reinstall).
 * The staging file is created new under a random name, and rename(2) replaces a link at its target
 * rather than following it, so nothing planted in the directory is written through.
 */
export const fileInstaller: InstallerFactory = (binary, opts) => {
  const name = plainFileName(opts, 'name');
  const dir = absoluteDevicePath(opts, 'path');
  if (name === binary.uuid) throw optsError('name', `${JSON.stringify(name)} is the binary's own file name`);
  const install = async (source: AsyncIterable<Buffer>, env: InstallEnv): Promise<void> => {
    const hostDir = await makeDeviceDir(env.paths, dir, 'file installer: installer_opts.path');
    await removeLeftovers(hostDir, binary.uuid);
    const partial = join(hostDir, stagingName(binary.uuid, 'partial'));
    try {
      await writeStaged(source, partial, 0o644, env.signal);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    await rename(partial, join(hostDir, binary.uuid));
    const link = join(hostDir, stagingName(binary.uuid, 'link'));
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
