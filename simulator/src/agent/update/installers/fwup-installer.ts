import { lstat, rm, stat } from 'node:fs/promises';
import { VfleetError, inflateFwupResources } from '@vfleet/core';
import { mappedDeviceDir, resolvesToItself } from '../../connect/device-paths.js';
import { applyFwupOffThread } from './fwup-apply-pool.js';
import { findTool } from '../process/find-tool.js';
import { spawnTool } from '../process/spawn-tool.js';
import { describeValue, isObject } from '../validate/fields.js';
import type { InstallEnv, InstallerFactory } from './installer.js';
import { absoluteDevicePath, optsError, stringList } from './installer-opts.js';
import { writeStaged } from './write-staged.js';

const FWUP_TIMEOUT_MS = 60 * 60 * 1000;

function stringMap(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw optsError(field, `expected an object of strings, found ${describeValue(value)}`);
  }
  return value as Record<string, string>;
}

/**
 * Only a device image that already exists as a regular file is written (DESIGN "Virtual boot"). For
 * a mapped device it must also be reached through no link: one resolves on the host, so fwup would
 * write whatever host file it names.
 */
async function regularFile(hostPath: string, devpath: string, deviceDir: string | undefined): Promise<void> {
  const refuse = (why: string): never => {
    throw new VfleetError('VFLEET_IO', `fwup devpath ${devpath}: refused, ${why} (${hostPath})`);
  };
  if (deviceDir !== undefined && (await resolvesToItself(deviceDir, hostPath)) === false) {
    refuse('reached through a symbolic link in the device directory, which is not followed for a device outside a container');
  }
  const info = await (deviceDir === undefined ? stat : lstat)(hostPath).catch(() => undefined);
  if (info?.isFile() !== true) refuse('not an existing regular file');
}

/**
 * `fwup` (protocol §5.7) through the real tool when it is on PATH: the verified archive is applied
 * from a temporary file (`fwup -a -i`) rather than framed over stdin, so nothing is applied before
 * it verifies. Without fwup on PATH, vfleet's built-in applier (core/fwup) does the same job.
 */
export const fwupInstaller: InstallerFactory = (_binary, opts, config) => {
  const devpath = opts['devpath'] === undefined ? config.fwup.devpath : absoluteDevicePath(opts, 'devpath');
  const task = opts['task'] ?? 'upgrade';
  if (typeof task !== 'string' || task === '') throw optsError('task', `expected a task name, found ${describeValue(task)}`);
  const extra = opts['extra_args'] === undefined ? config.fwup.extraArgs : stringList(opts, 'extra_args');
  const env = { ...config.fwup.env, ...stringMap(opts['env'], 'env') };
  const stream = async (source: AsyncIterable<Buffer>, install: InstallEnv): Promise<void> => {
    const fwup = await findTool('fwup', install.toolPath);
    const device = install.paths.map(devpath);
    await regularFile(device, devpath, mappedDeviceDir(install.paths));
    const archive = await install.cache.tempPath();
    try {
      await writeStaged(source, archive, 0o600, install.signal);
      if (fwup === undefined) {
        await applyBuiltIn(archive, device, install);
        return;
      }
      const keys = config.fwup.publicKeys.flatMap((k) => ['--public-key', k]);
      const result = await spawnTool(fwup, ['-a', '-i', archive, '-d', device, '-t', task, '--no-unmount', ...extra, ...keys], {
        signal: install.signal, env, timeoutMs: FWUP_TIMEOUT_MS,
      });
      if (result.code !== 0) {
        install.log.error(`[Installer fwup] Error ${result.output.trim()}`);
        throw new VfleetError('VFLEET_IO', `fwup exited with ${result.code ?? result.signal}: ${result.output.trim()}`);
      }
      install.log.info('[Installer fwup] Finished');
    } finally {
      await rm(archive, { force: true });
    }
  };
  /**
   * vfleet's own applier (core/fwup): verifies everything before the first write; no `execute`.
   * Deflated resources are first inflated into files beside the archive, then the apply runs in a
   * worker thread: an OS image costs neither its size in memory nor a stalled fleet in this process.
   */
  const applyBuiltIn = async (archive: string, device: string, install: InstallEnv): Promise<void> => {
    const unpacked = await install.cache.tempDir();
    try {
      // what a resource may inflate to in all: every byte of it goes into the image
      const maxBytes = 2 * (await stat(device)).size;
      const inflated = await inflateFwupResources(archive, unpacked, { source: 'fwup archive', maxBytes, signal: install.signal });
      const result = await applyFwupOffThread({ archive, image: device, options: { task, publicKeys: config.fwup.publicKeys, variables: env, source: 'fwup archive', inflated } }, install.signal);
      for (const message of result.messages) install.log.info(`[Installer fwup] ${message}`);
      install.log.info('[Installer fwup] Finished');
    } catch (e) {
      if (install.signal.aborted) throw e;
      install.log.error(`[Installer fwup] Error ${(e as Error).message}`);
      throw e;
    } finally {
      await rm(unpacked, { recursive: true, force: true });
    }
  };
  return { installer: 'fwup', model: 'parallel', stream };
};
