// The agent image: the agent bundled into one file (esbuild), the repository's Dockerfile built on
// an official Node base, or offline on a base imported from the host's own node and tools.
import { chmodSync, copyFileSync, cpSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, symlinkSync, lstatSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { rootCertificates } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { VfleetError } from '@vfleet/core';
import { mustTool, tool, tryTool } from './runtimes/netutil.js';

export type Engine = 'docker' | 'podman';
export const DEFAULT_AGENT_IMAGE = 'vfleet/agent:dev';
export const OFFLINE_BASE_IMAGE = 'vfleet-base:local';

// Docker's reference grammar: [host[:port]/]path[:tag][@digest], paths lowercase
const REF_PATH = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REF_HOST_PART = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const IMAGE_REF = new RegExp(
  `^(?:${REF_HOST_PART}(?:\\.${REF_HOST_PART})*(?::[0-9]+)?/)?${REF_PATH}(?:/${REF_PATH})*` +
    '(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$',
);

/**
 * Why `ref` is not an image reference the engines accept, or undefined when it is one. It goes on
 * engine command lines as a positional argument, where a leading `-` would be read as an option.
 */
export function imageRefProblem(ref: string): string | undefined {
  const name = ref.replace(/@.*$/, '').replace(/:[^:/]*$/, '');
  if (IMAGE_REF.test(ref) && name.length <= 255) return undefined;
  return `${JSON.stringify(ref)} is not an image reference: expected [host[:port]/]name[:tag][@digest], the name lowercase [a-z0-9] parts joined by / . _ or -, at most 255 characters`;
}

/** The repository root (this file is simulator/src/fleet/image.ts or simulator/dist/fleet/image.js). */
export function repoRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

/** Where `bundleAgent` writes by default: the only directory the Dockerfile copies from. */
export function imageStageDir(root = repoRoot()): string {
  return join(root, 'simulator', 'dist', 'image');
}

// Optional native or speed-up modules the agent may load at run time; copied beside the bundle when present.
const EXTERNAL = ['node-pty', 'bufferutil', 'utf-8-validate'];
// Packages core loads on first use only (core/src/pki/peculiar.ts): each is bundled into a CommonJS
// file of its own under agent/node_modules, so the agent's start does not compile or evaluate them.
const LAZY = ['@peculiar/x509'];

function esbuildBinary(root: string): string {
  const local = join(root, 'node_modules', '.bin', 'esbuild');
  if (existsSync(local)) return local;
  try {
    return join(dirname(createRequire(import.meta.url).resolve('esbuild/package.json')), 'bin', 'esbuild');
  } catch {
    throw new VfleetError('VFLEET_USAGE', `esbuild not found under ${root}/node_modules: run npm ci in the repository`);
  }
}

/** Copies what a native module needs at run time (package.json, lib/, the built addon), not its sources. */
function copyNativeModule(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const part of ['package.json', 'lib', 'build/Release', `prebuilds/${process.platform}-${process.arch}`]) {
    if (existsSync(join(from, part))) cpSync(join(from, part), join(to, part), { recursive: true, dereference: true });
  }
}

export interface BundleResult {
  /** The agent's entry (`node <file> …`): a small CommonJS loader that runs agent.cjs beside it from a V8 code cache. */
  file: string;
  /** External modules the bundle imports and that were copied beside it. */
  natives: string[];
}

/**
 * Bundles simulator/src/agent/main.ts into `<outDir>/agent/agent.cjs`, its entry
 * `<outDir>/agent/vfleet-agent.cjs` (simulator/src/agent/cached-main.ts: runs the bundle from a V8
 * code cache, primed here by one agent start that fails on an empty device directory), and the
 * `vfleet-agent` wrapper. CommonJS: node starts a CommonJS entry without its ESM loader, and the
 * code cache needs vm.Script.
 */
export async function bundleAgent(opts: { outDir?: string; root?: string; signal?: AbortSignal } = {}): Promise<BundleResult> {
  const root = opts.root ?? repoRoot();
  const outDir = opts.outDir ?? imageStageDir(root);
  const agentDir = join(outDir, 'agent');
  rmSync(agentDir, { recursive: true, force: true });
  mkdirSync(agentDir, { recursive: true });
  const file = join(agentDir, 'vfleet-agent.cjs');
  const bundle = join(agentDir, 'agent.cjs');
  const sig = opts.signal === undefined ? {} : { signal: opts.signal };
  const esbuild = (entry: string, out: string, extra: string[] = []) => mustTool(esbuildBinary(root), [
    entry, '--bundle', '--platform=node', '--format=cjs', '--target=node20', '--conditions=source', '--log-level=error', `--outfile=${out}`, ...extra,
  ], sig);
  // ws looks for its optional natives at load; one that will not be beside the bundle is a failed module lookup per start
  const absent = (m: string) => !existsSync(join(root, 'node_modules', m));
  await esbuild(join(root, 'simulator', 'src', 'agent', 'main.ts'), bundle, [
    ...[...EXTERNAL, ...LAZY].map((m) => `--external:${m}`),
    ...(absent('bufferutil') ? ['--define:process.env.WS_NO_BUFFER_UTIL="1"'] : []),
    ...(absent('utf-8-validate') ? ['--define:process.env.WS_NO_UTF_8_VALIDATE="1"'] : []),
    // the sources' createRequire(import.meta.url): the bundle's own URL
    '--define:import.meta.url=__vfleetModuleUrl',
    "--banner:js=const __vfleetModuleUrl = require('node:url').pathToFileURL(__filename).href;",
  ]);
  await esbuild(join(root, 'simulator', 'src', 'agent', 'cached-main.ts'), file);
  const text = readFileSync(bundle, 'utf8');
  const fromCore = createRequire(join(root, 'core', 'package.json'));
  for (const m of LAZY) {
    if (!text.includes(`'${m}'`) && !text.includes(`"${m}"`)) continue;
    const dir = join(agentDir, 'node_modules', ...m.split('/'));
    mkdirSync(dir, { recursive: true });
    await esbuild(fromCore.resolve(m), join(dir, 'index.cjs'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: m, private: true, main: 'index.cjs' }) + '\n');
  }
  const natives: string[] = [];
  for (const m of EXTERNAL) {
    const from = join(root, 'node_modules', m);
    if (text.includes(`"${m}"`) && existsSync(from)) {
      copyNativeModule(from, join(agentDir, 'node_modules', m));
      natives.push(m);
    }
  }
  // prime the code cache: an agent start on an empty device directory exits 1 (no peridio.json)
  // after loading everything and writes the cache as it exits; without a cache agents still run
  const empty = mkdtempSync(join(tmpdir(), 'vfleet-agent-prime-'));
  try {
    await tryTool(process.execPath, [file, '--device-dir', empty], { ...sig, timeoutMs: 30_000 });
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
  const wrapper = join(outDir, 'vfleet-agent');
  writeFileSync(wrapper, [
    '#!/bin/sh',
    '# node replaces the shell: PID 1 in a container, so SIGTERM reaches the agent',
    `# with ${IMAGE_ROOTS_DIR} (Node's own roots, hashed at image build) OpenSSL looks a public CA up when a chain`,
    '# needs it, instead of node parsing all its bundled roots at the first TLS context of every start',
    'store=',
    `if [ -d ${IMAGE_ROOTS_DIR} ]; then`,
    `  export SSL_CERT_FILE=/dev/null SSL_CERT_DIR=${IMAGE_ROOTS_DIR}`,
    '  store=--use-openssl-ca',
    'fi',
    'exec node $store /opt/vfleet/agent/vfleet-agent.cjs "$@"',
    '',
  ].join('\n'));
  chmodSync(wrapper, 0o755);
  return { file, natives };
}

// Host tools the offline base carries when present: the shell, WireGuard (wg-quick is bash), the
// U-Boot env tools, swupdate (the .swu installer), ssh-keygen (the Dockerfile makes the host keys), and the few coreutils the
// Dockerfile, wg-quick and the EVK hooks call.
const OFFLINE_TOOLS = [
  'sh', 'bash', 'ip', 'wg', 'wg-quick', 'wireguard-go', 'fw_printenv', 'fw_setenv', 'swupdate', 'ssh-keygen',
  'mkdir', 'ln', 'cat', 'rm', 'env', 'sleep', 'stat', 'mktemp', 'readlink', 'id', 'chown',
];

/** The host's sshd and the helpers newer OpenSSH releases exec per connection; at their own paths (hooks run /usr/sbin/sshd). */
const SSHD_FILES = ['/usr/sbin/sshd', '/usr/lib/openssh/sshd-session', '/usr/lib/openssh/sshd-auth'];
/** The EVK's login (protocol §8.2), uid/gid as useradd gives the first user on Debian. */
const EVK_USER = { name: 'peridio', password: 'peridio', uid: 1000 };
// the host's sshd without its PAM stack (PAM modules and their config are not in the base):
// passwords are checked against /etc/shadow; sshd runs only while a tunnel to port 22 is up
const OFFLINE_SSHD_CONFIG = `# vfleet offline agent image: the host's sshd, without PAM
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PermitRootLogin no
PrintMotd no
PrintLastLog no
PidFile /run/sshd.pid
`;

async function which(name: string): Promise<string | undefined> {
  const r = await tool('sh', ['-c', 'command -v "$1"', 'sh', name]);
  const p = r.stdout.trim();
  return r.code === 0 && p.startsWith('/') ? p : undefined;
}

/** The shared libraries `ldd` lists for a dynamic executable (none for scripts and static binaries), and those it cannot find. */
async function sharedLibraries(file: string): Promise<{ found: string[]; notFound: string[] }> {
  const r = await tool('ldd', [file]);
  const found: string[] = [];
  const notFound: string[] = [];
  if (r.code !== 0) return { found, notFound };
  for (const line of r.stdout.split('\n')) {
    const lost = /^\s*(\S+)\s+=>\s+not found/.exec(line);
    if (lost?.[1] !== undefined) notFound.push(lost[1]);
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m?.[1] !== undefined) found.push(m[1]);
  }
  return { found, notFound };
}

/** The path a host file has with its directory's symlinks resolved (merged /usr: /lib/x → /usr/lib/x). */
function canonical(p: string): string {
  return join(realpathSync(dirname(p)), basename(p));
}

function placeFile(stage: string, hostPath: string, at: string): void {
  const dest = join(stage, at);
  if (existsSync(dest)) return;
  mkdirSync(dirname(dest), { recursive: true });
  const real = realpathSync(hostPath);
  try {
    linkSync(real, dest); // same filesystem: no copy of a 100 MB node
  } catch {
    copyFileSync(real, dest);
  }
}

function interpreter(file: string): string | undefined {
  const head = readFileSync(file).subarray(0, 128).toString('latin1');
  const m = /^#!\s*(\S+)/.exec(head);
  return m?.[1];
}

/** Stages the offline base's root: host node + tools + their libraries, merged-/usr links as on the host. */
export async function stageOfflineBase(stage: string): Promise<{ files: string[]; missing: string[]; generated: Record<string, string> }> {
  const files = new Set<string>();
  const missing: string[] = [];
  for (const top of ['bin', 'sbin', 'lib', 'lib64']) {
    const host = `/${top}`;
    if (existsSync(host) && lstatSync(host).isSymbolicLink()) {
      const target = readlinkSync(host);
      mkdirSync(join(stage, target), { recursive: true });
      symlinkSync(target, join(stage, top));
    }
  }
  const add = async (hostPath: string, at = canonical(hostPath)): Promise<void> => {
    if (files.has(at)) return;
    files.add(at);
    placeFile(stage, hostPath, at);
    const shebang = interpreter(realpathSync(hostPath));
    if (shebang !== undefined && existsSync(shebang)) await add(shebang);
    for (const lib of (await sharedLibraries(realpathSync(hostPath))).found) await add(lib);
  };
  await add(process.execPath, '/usr/local/bin/node');
  for (const t of OFFLINE_TOOLS) {
    const p = await which(t);
    // a tool whose libraries are not on this host would fail in every container: left out and said
    const lost = p === undefined ? [] : (await sharedLibraries(realpathSync(p))).notFound;
    if (p === undefined) missing.push(t);
    else if (lost.length > 0) missing.push(`${t} (${lost.join(', ')} not found)`);
    else await add(p);
  }
  const sshd = existsSync(SSHD_FILES[0] as string);
  if (sshd) {
    for (const f of SSHD_FILES) if (existsSync(f)) await add(f);
  } else missing.push('sshd');
  for (const d of ['tmp', 'etc/peridiod', 'opt/vfleet', 'root', 'run', 'var/tmp', 'proc', 'sys', 'dev']) mkdirSync(join(stage, d), { recursive: true });
  chmodSync(join(stage, 'tmp'), 0o1777);
  const generated: Record<string, string> = {
    // glibc without nsswitch.conf asks DNS first and stops at its "not found": /etc/hosts must win
    'etc/nsswitch.conf': 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n',
    'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n',
    'etc/group': 'root:x:0:\n',
  };
  if (sshd) {
    const hash = await evkPasswordHash();
    if (hash === undefined) missing.push(`openssl (no password for the ${EVK_USER.name} login)`);
    Object.assign(generated, evkUserFiles(hash));
    generated['etc/ssh/sshd_config'] = OFFLINE_SSHD_CONFIG;
    mkdirSync(join(stage, 'home', EVK_USER.name), { recursive: true });
    mkdirSync(join(stage, 'run', 'sshd'), { recursive: true, mode: 0o755 });
  }
  for (const [at, text] of Object.entries(generated)) {
    mkdirSync(dirname(join(stage, at)), { recursive: true });
    writeFileSync(join(stage, at), text, { mode: SECRET_USER_FILES.has(at) ? 0o600 : 0o644 });
  }
  return { files: [...files].sort(), missing, generated };
}

/**
 * A device's user database as the EVK board has it (protocol §8.2): root locked (no password logs
 * in as root), sshd's privilege-separation user (its chroot /run/sshd is made by the Dockerfile and the hooks) and the
 * peridio login, whose password hash is `hash` (evkPasswordHash; '!' locks it when there is none).
 * Paths relative to the device's /.
 */
export function evkUserFiles(hash: string | undefined): { 'etc/passwd': string; 'etc/group': string; 'etc/shadow': string; 'etc/gshadow': string } {
  const { name, uid } = EVK_USER;
  return {
    'etc/passwd': `root:x:0:0:root:/root:/bin/sh\nsshd:x:100:65534::/run/sshd:/usr/sbin/nologin\n${name}:x:${uid}:${uid}:${name}:/home/${name}:/bin/sh\n`,
    'etc/group': `root:x:0:\nnogroup:x:65534:\n${name}:x:${uid}:\n`,
    // a last-change day other than 0 (0 means "must change the password at next login"), no expiry
    'etc/shadow': `root:*:19000::::::\nsshd:*:19000::::::\n${name}:${hash ?? '!'}:19000::::::\n`,
    'etc/gshadow': `root:*::\nnogroup:*::\n${name}:!::\n`,
  };
}

/** Files of evkUserFiles only root may read. */
export const SECRET_USER_FILES: ReadonlySet<string> = new Set(['etc/shadow', 'etc/gshadow']);

/** The home of the EVK login, relative to the device's /. */
export const EVK_USER_HOME = `home/${EVK_USER.name}`;

/** The EVK login's password as a SHA-512 crypt(3) hash (`openssl passwd -6`), or undefined without openssl. */
export function evkPasswordHash(): Promise<string | undefined> {
  return passwordHash(EVK_USER.password);
}

/** A SHA-512 crypt(3) hash of `password` (`openssl passwd -6`), or undefined without openssl. */
async function passwordHash(password: string): Promise<string | undefined> {
  // a fixed salt keeps the base's fingerprint stable; the EVK password is public anyway
  const r = await tryTool('openssl', ['passwd', '-6', '-salt', 'vfleetevk', '-stdin'], { input: `${password}\n` });
  const hash = r.code === 0 ? r.stdout.trim() : '';
  return hash.startsWith('$6$') ? hash : undefined;
}

/**
 * What the staged base holds (host files by path, size and modification time; generated files by
 * content): an unchanged host is not imported again.
 */
function baseFingerprint(stage: string, files: string[], generated: Record<string, string> = {}): string {
  const h = createHash('sha256');
  for (const f of files) {
    const st = statSync(join(stage, f));
    h.update(`${f}\0${st.size}\0${st.mtimeMs}\n`);
  }
  for (const [at, text] of Object.entries(generated).sort(([a], [b]) => a.localeCompare(b))) h.update(`${at}\0${text}\n`);
  return h.digest('hex').slice(0, 16);
}

export interface ImageBuildOptions {
  engine?: Engine;
  tag?: string;
  /** Build the base from the host's node instead of pulling BASE_IMAGE. */
  offline?: boolean;
  /** Base image for a non-offline build (default: the Dockerfile's, node:20-bookworm-slim). */
  baseImage?: string;
  signal?: AbortSignal;
  say?: (line: string) => void;
}

export interface ImageBuildResult {
  tag: string;
  base: string;
  natives: string[];
  /** Host tools the offline base lacks (not installed on this host). */
  missingTools: string[];
  ms: number;
}

/** `vfleet image build`: bundle, (offline) import the base, build the Dockerfile. */
export async function buildAgentImage(opts: ImageBuildOptions = {}): Promise<ImageBuildResult> {
  const started = Date.now();
  const engine = opts.engine ?? 'docker';
  const tag = opts.tag ?? DEFAULT_AGENT_IMAGE;
  for (const [what, ref] of [['tag', tag], ['base image', opts.baseImage]] as const) {
    const problem = ref === undefined ? undefined : imageRefProblem(ref);
    if (problem !== undefined) throw new VfleetError('VFLEET_USAGE', `image build: ${what} ${problem}`);
  }
  const say = opts.say ?? (() => undefined);
  const sig = opts.signal === undefined ? {} : { signal: opts.signal };
  const root = repoRoot();
  mkdirSync(imageStageDir(root), { recursive: true });
  const info = await tryTool(engine, ['info', '--format', '{{.ServerVersion}}'], { ...sig, timeoutMs: 20_000 });
  if (info.code !== 0) throw new VfleetError('VFLEET_USAGE', `image build: the ${engine} engine does not answer (${info.stderr.trim() || `exit ${info.code}`}); start it first`);
  // a directory of its own, sent alone as the build context: parallel builds never see each other's bundle
  const stageDir = mkdtempSync(join(imageStageDir(root), 'build-'));
  try {
    return await buildInContext(opts, { engine, tag, say, sig, root, stageDir, started });
  } finally {
    rmSync(stageDir, { recursive: true, force: true });
  }
}

/** Where the agent image keeps Node's bundled roots as an OpenSSL hashed directory. */
export const IMAGE_ROOTS_DIR = '/opt/vfleet/agent/certs';

/**
 * Writes Node's bundled root certificates (the trust a plain node has) into `dir`, one file each,
 * and hashes the directory with `openssl rehash`, so that node --use-openssl-ca finds the same roots
 * on demand (what runtimes/agent-trust.ts does with the host's store for agents outside containers).
 * Returns how many roots it holds; 0 (and no directory) without a working openssl.
 */
export async function stageNodeRoots(dir: string, sig: { signal?: AbortSignal } = {}): Promise<number> {
  mkdirSync(dir, { recursive: true });
  rootCertificates.forEach((pem, i) => writeFileSync(join(dir, `node-root-${String(i).padStart(3, '0')}.pem`), `${pem}\n`));
  const hashed = await tryTool('openssl', ['rehash', dir], sig);
  if (hashed.code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return 0;
  }
  return rootCertificates.length;
}

async function buildInContext(
  opts: ImageBuildOptions,
  c: { engine: Engine; tag: string; say: (line: string) => void; sig: { signal?: AbortSignal }; root: string; stageDir: string; started: number },
): Promise<ImageBuildResult> {
  const { engine, tag, say, sig, root, stageDir, started } = c;
  say(`bundling the agent into ${stageDir}`);
  const bundle = await bundleAgent({ root, outDir: stageDir, ...sig });
  const roots = await stageNodeRoots(join(stageDir, 'agent', 'certs'), sig);
  say(roots > 0 ? `${roots} public roots hashed for on-demand lookup` : "no openssl to hash the public roots: agents parse node's bundled roots at every start");
  let base = opts.baseImage;
  let missingTools: string[] = [];
  if (opts.offline === true) {
    const stage = mkdtempSync(join(tmpdir(), 'vfleet-base-'));
    const tar = `${stage}.tar`;
    try {
      const staged = await stageOfflineBase(stage);
      missingTools = staged.missing;
      if (staged.missing.length > 0) say(`offline base without ${staged.missing.join(', ')} (not on this host)`);
      const fingerprint = baseFingerprint(stage, staged.files, staged.generated);
      const existing = await tool(engine, ['image', 'inspect', '--format', '{{index .Config.Labels "vfleet.base"}}', OFFLINE_BASE_IMAGE], sig);
      if (existing.code === 0 && existing.stdout.trim() === fingerprint) {
        say(`${OFFLINE_BASE_IMAGE} is up to date with this host's node and tools`);
      } else {
        await mustTool('tar', ['-C', stage, '--numeric-owner', '-cf', tar, '.'], sig);
        say(`importing ${OFFLINE_BASE_IMAGE} (${staged.files.length} files from this host, ${Math.round(statSync(tar).size / 2 ** 20)} MiB)`);
        await mustTool(engine, [
          'import', '--change', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', '--change', `LABEL vfleet.base=${fingerprint}`, tar, OFFLINE_BASE_IMAGE,
        ], { ...sig, timeoutMs: 300_000 });
      }
    } finally {
      // the tar (the size of node and the tools) too when tar or the import failed
      rmSync(tar, { force: true });
      rmSync(stage, { recursive: true, force: true });
    }
    base = OFFLINE_BASE_IMAGE;
  }
  say(`building ${tag} from ${base ?? 'node:20-bookworm-slim'}`);
  await mustTool(engine, [
    // --force-rm: the classic builder keeps the container of a failed step otherwise
    'build', '--force-rm', '-f', join(root, 'Dockerfile'), '-t', tag,
    ...(base === undefined ? [] : ['--build-arg', `BASE_IMAGE=${base}`]),
    ...(opts.offline === true ? ['--build-arg', 'WITH_APT=0'] : []),
    // the context is this build's stage alone: not other builds' stages (deleted while sent) or whatever else lies in simulator/dist/image
    '--build-arg', 'AGENT_DIR=.',
    stageDir,
  ], { ...sig, timeoutMs: 1_800_000, env: { DOCKER_BUILDKIT: '0' } });
  return { tag, base: base ?? 'node:20-bookworm-slim', natives: bundle.natives, missingTools, ms: Date.now() - started };
}
