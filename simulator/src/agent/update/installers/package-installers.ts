import { rm, symlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { VfleetError } from '@vfleet/core';
import { findTool } from '../process/find-tool.js';
import { spawnTool } from '../process/spawn-tool.js';
import type { InstallEnv, InstallerFactory, InstallerName } from './installer.js';
import { ownRoot, stringList } from './installer-opts.js';

const TOOL_TIMEOUT_MS = 30 * 60 * 1000;

interface Command {
  args: string[];
  cwd?: string;
}

async function runPackageTool(installer: InstallerName, tool: string, command: Command, env: InstallEnv): Promise<void> {
  const found = await findTool(tool, env.toolPath);
  if (found === undefined) {
    throw new VfleetError('VFLEET_IO', `${installer} installer needs "${tool}", which is not on PATH (${env.toolPath || 'empty'})`);
  }
  const result = await spawnTool(found, command.args, {
    signal: env.signal, timeoutMs: TOOL_TIMEOUT_MS, ...(command.cwd === undefined ? {} : { cwd: command.cwd }),
  });
  if (result.code !== 0) {
    throw new VfleetError('VFLEET_IO', `${tool} ${command.args.join(' ')} exited with ${result.code ?? result.signal}: ${result.output.trim()}`);
  }
}

function pathInstaller(installer: InstallerName, tool: string, command: (file: string, extra: string[]) => Command, prepare?: (file: string) => Promise<string>): InstallerFactory {
  return (_binary, opts) => {
    const extra = stringList(opts, 'extra_args');
    return {
      installer,
      model: 'sequential',
      path: async (file, env) => {
        if (!ownRoot(env.paths)) {
          throw new VfleetError('VFLEET_IO', `${installer} installer: ${tool} installs into the system's /, and this device's / is ${env.paths.map('/')} on the host, so the package would land on the host; run the device in a container (--runtime docker) or as a namespace device`);
        }
        const target = prepare === undefined ? file : await prepare(file);
        try {
          await runPackageTool(installer, tool, command(target, extra), env);
        } finally {
          if (target !== file) await rm(target, { force: true });
        }
      },
    };
  };
}

// apt only takes a local package whose name ends in .deb, given as ./<file> in its directory.
async function withDebSuffix(file: string): Promise<string> {
  if (file.endsWith('.deb')) return file;
  await symlink(basename(file), `${file}.deb`);
  return `${file}.deb`;
}

/** Package installers of protocol §5.7, all through the real tool; a missing tool is a clear error. */
export const debInstaller = pathInstaller('deb', 'apt', (file, extra) => ({ args: ['install', '-y', `./${basename(file)}`, ...extra], cwd: dirname(file) }), withDebSuffix);
export const rpmInstaller = pathInstaller('rpm', 'dnf', (file, extra) => ({ args: ['install', '-y', file, ...extra] }));
export const opkgInstaller = pathInstaller('opkg', 'opkg', (file, extra) => ({ args: ['install', file, ...extra] }));
