// `--disk loop`: a device's disk.img attached as a loop device (losetup + partx -a) and detached on
// stop. Only a regular disk.img directly inside a device directory is ever attached, and every
// attachment is recorded under $VFLEET_HOME/run so `cleanup` finds the ones a crash left behind.
import { existsSync, lstatSync, readdirSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { VfleetError } from '@vfleet/core';
import type { CleanupReport } from '../types.js';
import { mustTool, tool } from './netutil.js';
import { jsonRegistry } from './json-registry.js';

export interface LoopAttachment {
  deviceId: string;
  /** /dev/loopN */
  device: string;
  /** /dev/loopNp1 … in partition order. */
  partitions: string[];
  /** Real path of the disk.img it is attached to. */
  backingFile: string;
}

const isAttachment = (a: unknown): a is LoopAttachment =>
  typeof (a as Partial<LoopAttachment> | null)?.device === 'string' && typeof (a as Partial<LoopAttachment>).backingFile === 'string';
const registry = (home: string) => jsonRegistry<LoopAttachment>(join(home, 'run', 'loops.json'), isAttachment);
const readRegistry = (home: string): LoopAttachment[] => registry(home).read();
const updateRegistry = (home: string, change: (entries: LoopAttachment[]) => LoopAttachment[]): Promise<void> => registry(home).update(change);

/** The device's disk.img, refused unless it is a regular file (not a link) directly in the device directory. */
export function deviceDiskImage(deviceDir: string): string {
  const file = join(deviceDir, 'disk.img');
  let st;
  try {
    st = lstatSync(file);
  } catch {
    throw new VfleetError('VFLEET_USAGE', `--disk loop: ${file} does not exist (devices need a disk: vfleet devices create --disk …)`);
  }
  if (!st.isFile()) throw new VfleetError('VFLEET_USAGE', `--disk loop: ${file} is not a regular file; only disk images vfleet made are attached`);
  const real = realpathSync(file);
  if (dirname(real) !== realpathSync(deviceDir) || basename(real) !== 'disk.img') {
    throw new VfleetError('VFLEET_USAGE', `--disk loop: ${file} resolves to ${real}, outside its device directory`);
  }
  return real;
}

/** Which loop devices are attached to which files now (`losetup --list`). */
export async function attachedLoops(): Promise<Map<string, string>> {
  const r = await tool('losetup', ['--list', '--noheadings', '--raw', '--output', 'NAME,BACK-FILE']);
  return r.code === 0 ? parseLosetupList(r.stdout) : new Map();
}

/**
 * `losetup --list --raw --output NAME,BACK-FILE` as device → backing file. --raw writes every byte
 * of a name outside printable ASCII, and space and backslash, as `\xNN`: a path with `é` reads
 * `d\xc3\xa9`, and must compare equal to the path vfleet attached, or its loop device is never
 * detached.
 */
export function parseLosetupList(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0) out.set(line.slice(0, sp), unescapeRaw(line.slice(sp + 1).replace(/(?: |\\x20)\(deleted\)$/, '')));
  }
  return out;
}

function unescapeRaw(text: string): string {
  const bytes: Buffer[] = [];
  let plain = 0;
  for (let i = 0; i < text.length; ) {
    if (text[i] === '\\' && text[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 4))) {
      bytes.push(Buffer.from(text.slice(plain, i), 'utf8'), Buffer.from([parseInt(text.slice(i + 2, i + 4), 16)]));
      i += 4;
      plain = i;
    } else i++;
  }
  bytes.push(Buffer.from(text.slice(plain), 'utf8'));
  return Buffer.concat(bytes).toString('utf8');
}

function partitionsOf(device: string): string[] {
  const name = basename(device);
  const sys = `/sys/block/${name}`;
  if (!existsSync(sys)) return [];
  return readdirSync(sys)
    .filter((e) => e.startsWith(`${name}p`) && /^\d+$/.test(e.slice(name.length + 1)))
    .sort((a, b) => Number(a.slice(name.length + 1)) - Number(b.slice(name.length + 1)))
    .map((e) => `/dev/${e}`);
}

async function waitForNodes(paths: string[]): Promise<void> {
  for (let i = 0; i < 100 && !paths.every((p) => existsSync(p)); i++) await new Promise((r) => setTimeout(r, 20));
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length > 0) throw new VfleetError('VFLEET_IO', `loop partitions have no device node: ${missing.join(', ')} (is devtmpfs mounted on /dev?)`);
}

/** Attaches the device's disk.img and its partitions; recorded before anything else can fail. */
export async function attachLoop(home: string, deviceId: string, deviceDir: string): Promise<LoopAttachment> {
  const backingFile = deviceDiskImage(deviceDir);
  const device = (await mustTool('losetup', ['--find', '--show', backingFile])).trim();
  if (!/^\/dev\/loop\d+$/.test(device)) throw new VfleetError('VFLEET_IO', `losetup --find --show ${backingFile}: unexpected answer ${JSON.stringify(device)}`);
  const attachment: LoopAttachment = { deviceId, device, partitions: [], backingFile };
  await updateRegistry(home, (e) => [...e.filter((x) => x.device !== device), attachment]);
  try {
    const added = await tool('partx', ['--add', device]);
    // exit 1 with "error adding partitions" also when the kernel already scanned them: the nodes decide
    attachment.partitions = partitionsOf(device);
    if (attachment.partitions.length === 0 && added.code !== 0) throw new VfleetError('VFLEET_IO', `partx --add ${device}: ${added.stderr.trim()}`);
    await waitForNodes(attachment.partitions);
    await updateRegistry(home, (e) => e.map((x) => (x.device === device ? attachment : x)));
    return attachment;
  } catch (e) {
    await detachLoop(home, attachment);
    throw e;
  }
}

/** Detaches one attachment if the loop device still backs the same file (never someone else's). */
export async function detachLoop(home: string, attachment: LoopAttachment): Promise<boolean> {
  const now = await attachedLoops();
  let detached = false;
  if (now.get(attachment.device) === attachment.backingFile) {
    await tool('partx', ['--delete', attachment.device]);
    await mustTool('losetup', ['--detach', attachment.device]);
    detached = true;
  }
  await updateRegistry(home, (e) => e.filter((x) => x.device !== attachment.device));
  return detached;
}

/** Detaches every loop device this home recorded and that is still attached to its file. */
export async function cleanupLoops(home: string): Promise<CleanupReport> {
  const report: CleanupReport = { removed: [], errors: [] };
  for (const a of readRegistry(home)) {
    try {
      if (await detachLoop(home, a)) report.removed.push({ kind: 'loop', name: `${a.device} (${a.backingFile})` });
    } catch (e) {
      report.errors.push(`loop ${a.device}: ${(e as Error).message}`);
    }
  }
  return report;
}

/** The loop devices recorded in this home (tests, `vfleet down`). */
export function recordedLoops(home: string): LoopAttachment[] {
  return readRegistry(home);
}
