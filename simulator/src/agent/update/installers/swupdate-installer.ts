// `swupdate` (protocol §5.7) through the real Debian swupdate, seeing the device's own /etc.
import { existsSync, lstatSync, readFileSync, realpathSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { VfleetError, parseFwEnvConfig, readUbootEnvFromConfig } from '@vfleet/core';
import { findTool } from '../process/find-tool.js';
import { spawnTool } from '../process/spawn-tool.js';
import type { DevicePaths } from '../../types.js';
import type { InstallEnv, InstallerFactory } from './installer.js';
import { optsError, ownRoot, stringList } from './installer-opts.js';
import { SWU_SOFTWARE_SET, checkSwuFitsSlots } from '../../../artifacts/swu-fit.js';
import { readDeviceText, requireInDevice } from '../../../devices/device-files.js';

const SWUPDATE_TIMEOUT_MS = 60 * 60 * 1000;
/** Largest trust certificate (bundle) and hwrevision read from a device on the host. */
const MAX_TRUST_BYTES = 1024 * 1024;
const MAX_HWREVISION_BYTES = 4096;
const DEVICE_DIR = '/etc/peridiod';
/** The trust anchor for `-k` when extra_args name none: the workspace root CA, copied into the device directory. */
export const SWUPDATE_TRUST_PATH = '/etc/peridiod/swupdate-ca.pem';

// In a private mount namespace: /etc becomes an overlay whose upper layer (tmpfs) holds the device's
// fw_env.config and hwrevision (a whiteout when the device has none), and the device directory is
// bound back on /etc/peridiod; nothing of it is visible outside, and it all goes when swupdate exits.
const NAMESPACE_SCRIPT = [
  'set -e',
  'S=$1 DEV=$2 CFG=$3 HW=$4',
  'shift 4',
  'mount -t tmpfs -o size=1m,mode=0700 vfleet-swu "$S"',
  'mkdir "$S/upper" "$S/work" "$S/dev" "$S/upper/peridiod"',
  'mount --bind "$DEV" "$S/dev"',
  'cp "$CFG" "$S/upper/fw_env.config"',
  'if [ -n "$HW" ]; then cp "$HW" "$S/upper/hwrevision"; elif [ -e /etc/hwrevision ]; then mknod "$S/upper/hwrevision" c 0 0; fi',
  'mount -t overlay vfleet-swu -o "lowerdir=/etc,upperdir=$S/upper,workdir=$S/work" /etc',
  'mount --bind "$S/dev" /etc/peridiod',
  'exec "$@"',
].join('\n');

const hasFlag = (args: readonly string[], ...names: string[]): boolean =>
  args.some((a) => names.includes(a) || names.some((n) => n.startsWith('--') && a.startsWith(`${n}=`)));

/** The value swupdate ends up with for an option given in extra_args: its getopt loop keeps the last. */
function lastValue(args: readonly string[], short: string, long: string): string | undefined {
  let found: string | undefined;
  for (const [i, a] of args.entries()) {
    if (a === short || a === long) found = args[i + 1];
    else if (a.startsWith(`${long}=`)) found = a.slice(long.length + 1);
  }
  return found;
}

/** The `<set>,<mode>` of an explicit -e / --select in extra_args, split at the first comma as swupdate does. */
function explicitSelection(args: readonly string[]): { set: string; mode: string } | undefined {
  const value = lastValue(args, '-e', '--select');
  if (value === undefined) return undefined;
  const comma = value.indexOf(',');
  return comma < 0 ? { set: value, mode: '' } : { set: value.slice(0, comma), mode: value.slice(comma + 1) };
}

// swupdate options a device mapped onto the host may pass: none runs a command (-P, -p), reads a
// configuration (-f), writes a file (-o), fetches (-d) or serves (-u, -w), or changes trust (below).
const HOST_SAFE_VALUE = new Set(['-e', '--select', '-l', '--loglevel', '-N', '--no-downgrading', '-R', '--no-reinstalling', '--max-version', '-H', '--hwrevision', '-B', '--bootloader']);
const HOST_SAFE_FLAG = new Set(['-v', '--verbose', '-n', '--dry-run', '-M', '--no-transaction-marker', '-m', '--no-state-marker', '-c', '--check', '-L', '--syslog']);
// what verifies (-k, --ca-path, --cert-purpose, --forced-signer-name) or decrypts (-K) a .swu: on the host the device's provisioned CA decides alone
const HOST_TRUST = new Set(['-k', '--key', '--ca-path', '--cert-purpose', '--forced-signer-name', '-K', '--key-aes']);
// the env a mapped device has is U-Boot's in its own disk; grub's or EFI Boot Guard's would be the host's
const HOST_BOOTLOADERS = new Set(['uboot']);

/**
 * extra_args for a swupdate that runs on the host (a device outside a container): only the options
 * above. Anything else is refused, naming it: a server must not run commands, touch files of the host
 * or replace the trust anchor through them.
 */
export function hostSafeSwupdateArgs(extra: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < extra.length; i++) {
    const arg = extra[i] as string;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const refuse = (why: string): never => {
      throw optsError('extra_args', `${JSON.stringify(arg)} ${why} for a device outside a container (swupdate runs on the host there); run it in a container to pass any option`);
    };
    if (HOST_TRUST.has(flag)) refuse(`changes what verifies or decrypts the .swu, which is only ${SWUPDATE_TRUST_PATH} with purpose codeSigning`);
    if (HOST_SAFE_FLAG.has(flag)) {
      if (eq >= 0) refuse('takes no value');
      out.push(arg);
      continue;
    }
    if (!HOST_SAFE_VALUE.has(flag)) refuse('is not accepted');
    const value = eq >= 0 ? arg.slice(eq + 1) : extra[++i];
    if (value === undefined) return refuse('needs a value');
    if ((flag === '-B' || flag === '--bootloader') && !HOST_BOOTLOADERS.has(value)) refuse(`names bootloader ${JSON.stringify(value)}, whose env is a host file; only "uboot" is accepted`);
    out.push(flag, value);
  }
  return out;
}

/** The first existing host file among device paths, with its device path. */
function firstExisting(paths: DevicePaths, ...devicePaths: string[]): { device: string; host: string } | undefined {
  for (const device of devicePaths) {
    const host = paths.map(device);
    if (existsSync(host)) return { device, host };
  }
  return undefined;
}

/** The board swupdate looks sw-description up under: -H's `<board>:`, else the first word of the device's /etc/hwrevision. */
function boardName(args: readonly string[], paths: DevicePaths): string | undefined {
  const given = lastValue(args, '-H', '--hwrevision');
  if (given !== undefined) return given.split(':')[0];
  const hw = firstExisting(paths, '/etc/hwrevision');
  if (hw === undefined) return undefined;
  // on the host the file is the device's: no FIFO, link or endless file may hold the agent
  const text = ownRoot(paths) ? readFileSync(hw.host, 'latin1') : deviceText(paths, hw.host, MAX_HWREVISION_BYTES);
  // fscanf("%ms") words: split on C whitespace only
  return text.split(/[ \t\n\v\f\r]+/).find((w) => w !== '');
}

/**
 * On the host swupdate writes the env, as root, wherever the device's fw_env.config says: every copy
 * must be a regular file in the device directory (its env file or disk.img), reached through no link,
 * never a host file or block device.
 */
function requireEnvInDevice(fwEnv: { host: string; device: string }, paths: DevicePaths): string {
  const deviceDir = paths.map(DEVICE_DIR);
  const refuse = (copy: string, why: string): never => {
    throw new VfleetError('VFLEET_IO', `swupdate installer: ${fwEnv.device} names ${JSON.stringify(copy)}, ${why}; swupdate runs on the host for a device outside a container and would write the env there as root`);
  };
  const text = readDeviceText(deviceDir, path.relative(deviceDir, fwEnv.host), 64 * 1024) ?? '';
  for (const { path: copy } of parseFwEnvConfig(text, fwEnv.device).copies) {
    if (!copy.startsWith(`${DEVICE_DIR}/`) || copy.split('/').includes('..')) refuse(copy, `which is not a file in ${DEVICE_DIR}`);
    const host = requireInDevice(deviceDir, paths.map(copy));
    let regular = false;
    try {
      regular = lstatSync(host).isFile();
    } catch {
      refuse(copy, 'which does not exist');
    }
    if (!regular) refuse(copy, 'which is not a regular file');
  }
  return text;
}

/** A device file's text, read on the host once: never through a link, never waiting on a FIFO, at most `maxBytes`. */
function deviceText(paths: DevicePaths, host: string, maxBytes: number): string {
  const deviceDir = paths.map(DEVICE_DIR);
  const text = readDeviceText(deviceDir, path.relative(deviceDir, host), maxBytes);
  if (text === undefined) throw new VfleetError('VFLEET_IO', `swupdate installer: ${host} went away before swupdate could read it`);
  return text;
}

/** A copy in the install's own folder, which swupdate (as root) or the namespace's cp reads instead of the device's file. */
async function copyInto(tmp: string, name: string, text: string): Promise<string> {
  const copy = path.join(tmp, name);
  await writeFile(copy, text, { mode: 0o600, flag: 'wx' });
  return copy;
}

/** The slot not booted, from `peridio_active` in the device's env (like fwup's upgrade.a / upgrade.b guards). */
function inactiveSlot(config: { host: string; device: string }, paths: DevicePaths): 'a' | 'b' {
  const resolvePath = (p: string): string => (path.posix.isAbsolute(p) ? paths.map(p) : p);
  const { vars } = readUbootEnvFromConfig(config.host, { resolvePath });
  const active = vars.get('peridio_active');
  if (active === 'a') return 'b';
  if (active === 'b') return 'a';
  throw new VfleetError('VFLEET_STATE_INVALID', `swupdate installer: peridio_active is ${JSON.stringify(active ?? null)} in the env of ${config.device}, neither a nor b, so there is no inactive slot to select (pass -e in extra_args)`);
}

// swupdate's own first errors say why; the lines after them are the same failure retold
const GENERIC = /SWUpdate \*failed\*|Image invalid or corrupted|swupdate_image_write failed|Compatible SW not found/;

function swupdateErrors(output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter((l) => /ERROR|[Ee]rror:/.test(l) && !GENERIC.test(l));
  const reasons = [...new Set(lines.map((l) => l.replace(/^\[ERROR\]\s*:\s*SWUPDATE failed \[\d+\]\s*(ERROR\s*:)?\s*/, '')))];
  return reasons.slice(0, 3).join(' | ') || output.trim().split('\n').slice(-3).join(' | ');
}

function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

function canUnshare(): boolean {
  return process.getuid?.() === 0;
}

/**
 * Runs `swupdate -i <file> [-B uboot] [-k <trust> --cert-purpose codeSigning] [-e stable,<inactive>] [extra]`:
 * each vfleet addition only when extra_args have no flag of its kind. Outside a container (mapped
 * paths), or where /etc/fw_env.config is not the device's, swupdate runs in a private mount namespace.
 */
export const swupdateInstaller: InstallerFactory = (_binary, opts) => {
  const givenArgs = stringList(opts, 'extra_args');
  const run = async (file: string, install: InstallEnv): Promise<void> => {
    const { paths } = install;
    const own = ownRoot(paths);
    const extra = own ? givenArgs : hostSafeSwupdateArgs(givenArgs);
    const swupdate = await findTool('swupdate', install.toolPath);
    if (swupdate === undefined) throw new VfleetError('VFLEET_IO', `swupdate installer needs "swupdate", which is not on PATH (${install.toolPath || 'empty'})`);
    const fwEnv = firstExisting(paths, `${DEVICE_DIR}/fw_env.config`, '/etc/fw_env.config');
    if (fwEnv === undefined) throw new VfleetError('VFLEET_IO', `swupdate installer: the device has no fw_env.config (${DEVICE_DIR}/fw_env.config or /etc/fw_env.config), so swupdate cannot set its env`);
    const envText = own ? undefined : requireEnvInDevice(fwEnv, paths);
    // swupdate's sockets and temporary copies go to TMPDIR: one directory per install, so devices never meet
    const tmp = await install.cache.tempDir();
    let scratch: string | undefined;
    try {
      const args = ['-i', file];
      if (!hasFlag(extra, '-B', '--bootloader')) args.push('-B', 'uboot');
      if (!hasFlag(extra, '-k', '--key')) {
        const trust = firstExisting(paths, SWUPDATE_TRUST_PATH);
        if (trust === undefined) {
          throw new VfleetError('VFLEET_IO', `swupdate installer: no certificate to verify the .swu with at ${SWUPDATE_TRUST_PATH} (${paths.map(SWUPDATE_TRUST_PATH)}); copy the workspace root CA (pki/ca/root-certificate.pem) there${own ? ' or pass -k in extra_args' : ''}`);
        }
        args.push('-k', own ? trust.host : await copyInto(tmp, 'vfleet-trust.pem', deviceText(paths, trust.host, MAX_TRUST_BYTES)));
        if (!hasFlag(extra, '--cert-purpose')) args.push('--cert-purpose', 'codeSigning');
      }
      let slot: 'a' | 'b' | undefined;
      let selection = explicitSelection(extra);
      if (selection === undefined) {
        slot = inactiveSlot(fwEnv, paths);
        selection = { set: SWU_SOFTWARE_SET, mode: slot };
        args.push('-e', `${selection.set},${selection.mode}`);
      }
      args.push(...extra);
      // refuse, before swupdate runs, a .swu that would write the device's disk outside the selected slot (or, on the host, anything else)
      checkSwuFitsSlots(file, paths, selection, boardName(extra, paths));

      // in a container whose /etc/fw_env.config is the device's own, swupdate runs as is; else in a private mount namespace
      const direct = own && sameFile('/etc/fw_env.config', fwEnv.host);
      let command = swupdate;
      let commandArgs = args;
      if (!direct) {
        if (!canUnshare()) {
          throw new VfleetError('VFLEET_IO', 'swupdate installer: swupdate must see the device\'s /etc/fw_env.config and /etc/hwrevision, which needs a container or root (a private mount namespace via unshare -m); run the device in a container or the agent as root');
        }
        const unshare = await findTool('unshare', install.toolPath);
        if (unshare === undefined) throw new VfleetError('VFLEET_IO', `swupdate installer needs "unshare" (util-linux) to give swupdate the device's /etc, and it is not on PATH (${install.toolPath || 'empty'})`);
        const hw = firstExisting(paths, '/etc/hwrevision');
        // on the host, the files the script copies as root are the ones checked above, not whatever the device put there since
        const [config, hwrevision] = envText === undefined
          ? [fwEnv.host, hw?.host ?? '']
          : [await copyInto(tmp, 'vfleet-fw_env.config', envText), hw === undefined ? '' : await copyInto(tmp, 'vfleet-hwrevision', deviceText(paths, hw.host, MAX_HWREVISION_BYTES))];
        scratch = await install.cache.tempDir();
        command = unshare;
        commandArgs = ['-m', '--propagation', 'private', 'sh', '-c', NAMESPACE_SCRIPT, 'vfleet-swupdate', scratch, paths.map(DEVICE_DIR), config, hwrevision, swupdate, ...args];
      }
      install.log.info(`[Installer swupdate] swupdate ${args.join(' ')}`);
      const result = await spawnTool(command, commandArgs, { signal: install.signal, env: { TMPDIR: tmp }, timeoutMs: SWUPDATE_TIMEOUT_MS });
      const at = slot === undefined ? '' : ` (slot ${slot})`;
      if (result.code !== 0) throw new VfleetError('VFLEET_IO', `swupdate exited with ${result.code ?? result.signal}${at}: ${swupdateErrors(result.output)}`);
      install.log.info(`[Installer swupdate] Finished${at}`);
    } finally {
      await rm(tmp, { recursive: true, force: true });
      if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
    }
  };
  return {
    installer: 'swupdate',
    model: 'sequential',
    path: async (file, install) => {
      try {
        await run(file, install);
      } catch (e) {
        install.log.error(`[Installer swupdate] Error ${(e as Error).message}`);
        throw e;
      }
    },
  };
};
