// The namespace runtime against devices and workspaces that do not play along: links a device left
// in its overlay's upper layer, what the device runs trying to reach the host, an agent environment
// naming PATH, a run left by a crashed supervisor, and another workspace on the same bridge. Each
// device here is a shell script standing in for the agent.
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { haveTools } from '@vfleet/core/test-support';
import { repoRoot } from '../image.js';
import { BRIDGE_LOCK, createNamespaceRuntime, type NamespaceRuntime, type NamespaceRuntimeOptions } from './namespace.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot && process.env['CI'] === 'true') throw new Error('namespace runtime tests need root in CI');
const enabled = isRoot && haveTools('ip', 'unshare', 'capsh', 'flock', 'perl');
const tag = randomBytes(2).toString('hex');
const root = mkdtempSync(join(tmpdir(), 'vft-nsh-'));
const bridge = `vft-nb-${tag}`;
const base = { bridge, subnet16: '10.218', netnsPrefix: `vft-nh-${tag}-`, vethPrefix: `vfth${tag}` };
const runtimes: NamespaceRuntime[] = [];
const strays: ChildProcess[] = [];

afterAll(async () => {
  for (const c of strays) c.kill('SIGKILL');
  for (const rt of runtimes) await rt.cleanup().catch(() => undefined);
  spawnSync('ip', ['link', 'delete', bridge], { stdio: 'ignore' });
  rmSync(root, { recursive: true, force: true });
}, 60_000);

function device(id: string): string {
  const dir = join(root, 'devices', id);
  mkdirSync(join(dir, 'root'), { recursive: true });
  writeFileSync(join(dir, 'peridio.json'), '{}');
  return dir;
}

function runtime(script: string, extra: Partial<NamespaceRuntimeOptions> = {}): NamespaceRuntime {
  const rt = createNamespaceRuntime({ home: join(root, 'home'), ...base, agentCommand: ['/bin/sh', '-c', script], ...extra });
  runtimes.push(rt);
  return rt;
}

/** Starts `script` as device `id` and returns what it printed once it exits. */
async function probe(rt: NamespaceRuntime, id: string, dir: string, env: Record<string, string> = {}): Promise<{ lines: string[]; exit: unknown }> {
  const lines: string[] = [];
  const dev = await rt.start({ id, deviceDir: dir, env, onLine: (l) => lines.push(l) });
  return { exit: await dev.exit, lines };
}

/** Runs `script` under the lock every namespace start takes; resolves once it holds it, with its end. */
async function holdingTheLock(script: string): Promise<{ ended: Promise<unknown> }> {
  const holder = spawn('flock', [BRIDGE_LOCK, 'sh', '-c', `echo locked; ${script}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  strays.push(holder);
  const ended = once(holder, 'exit');
  await once(holder.stdout as NonNullable<typeof holder.stdout>, 'data');
  return { ended };
}

const capBits = (line: string | undefined) => BigInt(`0x${(line ?? '').split(/\s+/)[1] ?? '0'}`);

describe.runIf(enabled)('namespace runtime against hostile devices and other workspaces', () => {
  it('refuses a link the device left in root/ where a mount goes, and makes no host directory through it', async () => {
    // the repository is mounted read-only at its own path: a link at its first component in the upper layer
    const top = repoRoot().split('/')[1] as string;
    const dir = device('HL-1');
    const target = join(root, 'host-target');
    mkdirSync(target);
    symlinkSync(target, join(dir, 'root', top));
    const rt = runtime('echo ran');
    await expect(probe(rt, 'HL-1', dir)).rejects.toThrow(`${join(dir, 'root', top)}: refusing to follow a symbolic link in the device directory ${dir}`);
    expect(readdirSync(target)).toEqual([]);
  });

  it('what the device runs has no chroot, mount or mknod, no host disk, and cannot write /proc/sys or /sys; it has ptys and tun', async () => {
    const dir = device('HL-2');
    const marker = join(root, 'escaped');
    const rt = runtime([
      'grep -E "^Cap(Eff|Bnd)" /proc/self/status',
      'echo "cwd $(pwd)"',
      `perl -e 'mkdir "/vfx"; chroot "/vfx" or die "chroot: $!\\n"; chdir ".." for 1..64; chroot "." or die "chroot: $!\\n"; open F, ">", "${marker}" or die "open: $!\\n"; print "escaped\\n"' 2>&1`,
      'mount -t tmpfs none /mnt 2>/dev/null && echo mounted',
      'mknod /vfx-node b 1 1 2>/dev/null && echo mknod-made',
      'test -w /proc/sys/kernel/core_pattern && echo proc-sys-writable',
      'test -w /sys/class/net/eth0/mtu && echo sysfs-writable',
      'echo "block devices: $(find /dev -type b | wc -l)"',
      'test -c /dev/null && echo x > /dev/null && echo null-ok',
      'test -c /dev/net/tun && echo tun-ok',
      'test -c /dev/pts/ptmx && test -L /dev/ptmx && script -qc tty /dev/null',
      'ip tuntap add mode tun dev vftun0 2>/dev/null && echo tun-made',
      'echo x > /dev/shm/x && echo shm-ok',
    ].join('; '));
    const { lines, exit } = await probe(rt, 'HL-2', dir);
    expect(exit).toEqual({ code: 0, signal: null });
    // sys_module 16, sys_rawio 17, sys_chroot 18, sys_admin 21, sys_boot 22, mknod 27
    const forbidden = [16n, 17n, 18n, 21n, 22n, 27n].reduce((m, b) => m | (1n << b), 0n);
    expect(capBits(lines.find((l) => l.startsWith('CapEff:'))) & forbidden).toBe(0n);
    expect(capBits(lines.find((l) => l.startsWith('CapBnd:'))) & forbidden).toBe(0n);
    // net_admin 12 stays (tunnels in its own netns)
    expect(capBits(lines.find((l) => l.startsWith('CapEff:'))) & (1n << 12n)).toBe(1n << 12n);
    expect(lines.filter((l) => !l.startsWith('Cap'))).toEqual([
      'cwd /', 'chroot: Operation not permitted', 'block devices: 0', 'null-ok', ...(existsSync('/dev/net/tun') ? ['tun-ok'] : []), '/dev/pts/0',
      ...(existsSync('/dev/net/tun') ? ['tun-made'] : []), 'shm-ok',
    ]);
    expect(existsSync(marker)).toBe(false);
  });

  it("reads neither another device's files nor the home's through the overlay of the host's /", async () => {
    const other = device('HL-9');
    writeFileSync(join(other, 'device-private-key.pem'), 'HL-9 key\n', { mode: 0o600 });
    mkdirSync(join(root, 'home', 'run'), { recursive: true });
    writeFileSync(join(root, 'home', 'admin-token'), 'token\n', { mode: 0o600 });
    const rt = runtime(`cat ${join(other, 'device-private-key.pem')} ${join(root, 'home', 'admin-token')} 2>&1 | sed 's/.*: //'; ls /etc/peridiod`);
    const { lines, exit } = await probe(rt, 'HL-10', device('HL-10'));
    expect(exit).toEqual({ code: 0, signal: null });
    expect(lines).toEqual(['No such file or directory', 'No such file or directory', 'peridio.json', 'root']);
  });

  it("reads no host directory that is not the system's: /root, /tmp, the work tree, /run and the host keys are its own", async () => {
    // a secret of the host's in /root, in /tmp beside the test's folder and beside the repository
    const secrets = [join('/root', `.vft-secret-${tag}`), join(root, 'host-secret'), join(dirname(repoRoot()), `.vft-secret-${tag}`)];
    for (const f of secrets) writeFileSync(f, 'host secret\n', { mode: 0o600 });
    try {
      const sshKeys = existsSync('/etc/ssh') ? readdirSync('/etc/ssh').filter((n) => n.endsWith('_key')).map((n) => join('/etc/ssh', n)) : [];
      const rt = runtime(`for f in ${[...secrets, ...sshKeys, '/run/vfleet-namespace.lock'].join(' ')}; do cat "$f" 2>&1 | sed 's/.*: //'; done; ls ${repoRoot()}/package.json; echo mine > /tmp/m && cat /tmp/m; stat -c %a /tmp; ls -A /run | wc -l`);
      const dir = device('HL-11');
      const { lines, exit } = await probe(rt, 'HL-11', dir);
      expect(exit).toEqual({ code: 0, signal: null });
      expect(lines).toEqual([
        ...[...secrets, ...sshKeys, '/run'].map(() => 'No such file or directory'),
        // the agent's code (the repository) is still there, read-only; its /tmp is its own, kept in root/tmp
        `${repoRoot()}/package.json`, 'mine', '1777', '0',
      ]);
      expect(readFileSync(join(dir, 'root', 'tmp', 'm'), 'utf8')).toBe('mine\n');
    } finally {
      for (const f of secrets) rmSync(f, { force: true });
    }
  });

  it("has a user database of its own (the EVK's), not the host's password hashes, nor the host's keys, services' state, logs or /var/tmp", async () => {
    // a host secret where TLS and WireGuard keep private keys, Debian its copies of /etc/shadow,
    // services their state and logs, when the host has those folders
    const folders = ['/etc/ssl/private', '/etc/wireguard', '/etc/docker', '/var/backups', '/var/lib', '/var/log', '/var/tmp'];
    const secrets = folders.filter((d) => existsSync(d)).map((d) => join(d, `.vft-secret-${tag}`));
    for (const f of secrets) writeFileSync(f, 'host secret\n', { mode: 0o600 });
    try {
      const script = [
        ...secrets.map((f) => `cat "${f}" 2>&1 | sed 's/.*: //'`),
        'for f in /etc/passwd /etc/group /etc/shadow /etc/gshadow; do cut -d: -f1 "$f" | tr "\\n" " "; echo; done',
        'stat -c "%a %n" /etc/shadow /etc/gshadow',
        "grep -c '^peridio:[$]6[$]' /etc/shadow",
        'ls -d /home/peridio',
        'stat -c %a /var/tmp',
        // the device's own change stays over a restart
        'grep -q "^extra:" /etc/passwd || echo "extra:x:1001:1001::/home/extra:/bin/sh" >> /etc/passwd',
      ].join('; ');
      const rt = runtime(script);
      const dir = device('HL-17');
      const first = await probe(rt, 'HL-17', dir);
      expect(first.exit).toEqual({ code: 0, signal: null });
      const hashed = haveTools('openssl') ? ['1'] : ['0'];
      expect(first.lines).toEqual([
        ...secrets.map(() => 'No such file or directory'),
        'root sshd peridio ', 'root nogroup peridio ', 'root sshd peridio ', 'root nogroup peridio ',
        '600 /etc/shadow', '600 /etc/gshadow', ...hashed, '/home/peridio', '1777',
      ]);
      const again = await probe(rt, 'HL-17', dir);
      expect(again.lines[secrets.length]).toBe('root sshd peridio extra ');
    } finally {
      for (const f of secrets) rmSync(f, { force: true });
    }
  });

  it('a home inside the repository (the default ./.vfleet) stays hidden, though the repository is shown read-only', async () => {
    const home = join(repoRoot(), `.vft-home-${tag}`);
    mkdirSync(home);
    try {
      writeFileSync(join(home, 'admin-token'), 'token\n', { mode: 0o600 });
      const rt = runtime(`cat ${join(home, 'admin-token')} 2>&1 | sed 's/.*: //'; ls ${repoRoot()}/package.json`, { home });
      const { lines, exit } = await probe(rt, 'HL-12', device('HL-12'));
      expect(exit).toEqual({ code: 0, signal: null });
      expect(lines).toEqual(['No such file or directory', `${repoRoot()}/package.json`]);
    } finally {
      // cleaned here, not by afterAll, whose cleanup would write the home's registry back into the repository
      const rt = runtimes.pop();
      await rt?.cleanup();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('a node installed under /root (as nvm does) still runs the agent', async () => {
    const bin = join('/root', `.vft-node-${tag}`, 'bin');
    mkdirSync(bin, { recursive: true });
    try {
      try {
        linkSync(process.execPath, join(bin, 'node'));
      } catch {
        copyFileSync(process.execPath, join(bin, 'node'));
      }
      const rt = runtime('', { agentCommand: [join(bin, 'node'), '-e', 'console.log("node runs")'] });
      const { lines, exit } = await probe(rt, 'HL-13', device('HL-13'));
      expect([lines, exit]).toEqual([['node runs'], { code: 0, signal: null }]);
    } finally {
      rmSync(dirname(bin), { recursive: true, force: true });
    }
  });

  it('the agent environment reaches the agent, and its PATH never picks the host tools the runtime runs', async () => {
    const dir = device('HL-3');
    const fake = join(root, 'fake-bin');
    mkdirSync(fake);
    for (const t of ['ip', 'mount', 'unshare', 'capsh', 'flock']) {
      writeFileSync(join(fake, t), `#!/bin/sh\necho "$0 $*" >> ${fake}/ran\nfor d in /usr/sbin /usr/bin /sbin /bin; do [ -x $d/${t} ] && exec $d/${t} "$@"; done\n`, { mode: 0o755 });
    }
    const rt = runtime('echo "PATH=$PATH"; echo "GREETING=$GREETING"; echo "HOSTNAME=$HOSTNAME"; env | grep -c VFLEET_AGENT_ENV || true');
    const path = `${fake}:/usr/sbin:/usr/bin:/sbin:/bin`;
    const { lines, exit } = await probe(rt, 'HL-3', dir, { PATH: path, GREETING: 'it\'s "quoted" $HOME `x`' });
    expect(exit).toEqual({ code: 0, signal: null });
    expect(lines).toEqual([`PATH=${path}`, 'GREETING=it\'s "quoted" $HOME `x`', 'HOSTNAME=HL-3', '0']);
    expect(existsSync(join(fake, 'ran'))).toBe(false);
  });

  it('refuses an env name a shell cannot hold, naming it', async () => {
    const rt = runtime('true');
    await expect(rt.start({ id: 'HL-4', deviceDir: device('HL-4'), env: { 'A;B': '1' }, onLine: () => undefined })).rejects.toThrow('namespace runtime: env name "A;B" for HL-4: expected [A-Za-z_][A-Za-z0-9_]*');
  });

  it('ends what a crashed supervisor left running in the device\'s netns before the device starts again', async () => {
    const dir = device('HL-5');
    const ns = `${base.netnsPrefix}HL-5`;
    spawnSync('ip', ['netns', 'add', ns]);
    const left = spawn('ip', ['netns', 'exec', ns, 'sleep', '600'], { stdio: 'ignore', detached: true });
    strays.push(left);
    const gone = once(left, 'exit');
    const rt = runtime('echo up');
    const { lines } = await probe(rt, 'HL-5', dir);
    expect(lines).toEqual(['up']);
    const [code, sig] = await Promise.race([gone, new Promise((r) => setTimeout(() => r(['still running']), 2_000))]) as unknown[];
    expect([code, sig]).toEqual([null, 'SIGKILL']);
  });

  it('two workspaces starting devices at once on one bridge get different addresses', async () => {
    const show = 'ip -o -4 addr show dev eth0 | grep -o "inet [0-9./]*"';
    const a = createNamespaceRuntime({ home: join(root, 'home-a'), ...base, vethPrefix: `vfta${tag}`, agentCommand: ['/bin/sh', '-c', show] });
    const b = createNamespaceRuntime({ home: join(root, 'home-b'), ...base, vethPrefix: `vftb${tag}`, agentCommand: ['/bin/sh', '-c', show] });
    runtimes.push(a, b);
    await a.prepare?.();
    await b.prepare?.();
    const [ra, rb] = await Promise.all([probe(a, 'HL-6', device('HL-6')), probe(b, 'HL-7', device('HL-7'))]);
    expect(ra.lines).toHaveLength(1);
    expect(rb.lines).toHaveLength(1);
    expect(ra.lines[0]).not.toBe(rb.lines[0]);
  });

  it("another workspace's cleanup keeps the bridge a start is adding a port to", async () => {
    const rt = runtime('true');
    await rt.prepare?.();
    const [x, y] = [`vft${tag}x`, `vft${tag}y`];
    // another home's start, between its look at the ports and its own port's arrival
    const { ended } = await holdingTheLock(`sleep 0.5; ip link add ${x} type veth peer name ${y} && ip link set ${x} master ${bridge} up`);
    try {
      const report = await createNamespaceRuntime({ home: join(root, 'home-c'), ...base }).cleanup();
      await ended;
      expect(readdirSync(`/sys/class/net/${bridge}/brif`)).toEqual([x]);
      expect(report.errors).toEqual([`bridge ${bridge} still has ports ${x} (another fleet?); left in place`]);
    } finally {
      spawnSync('ip', ['link', 'delete', x], { stdio: 'ignore' });
    }
  });

  it('a start whose bridge another workspace removed meanwhile makes it again', async () => {
    const rt = runtime('sleep 1');
    await rt.prepare?.();
    const { ended } = await holdingTheLock(`sleep 0.5; ip link delete ${bridge}`);
    const dev = await rt.start({ id: 'HL-8', deviceDir: device('HL-8'), env: {}, onLine: () => undefined });
    await ended;
    const ports = existsSync(`/sys/class/net/${bridge}/brif`) ? readdirSync(`/sys/class/net/${bridge}/brif`) : 'no bridge';
    const addr = spawnSync('ip', ['-o', '-4', 'addr', 'show', 'dev', bridge], { encoding: 'utf8' }).stdout;
    await dev.exit;
    expect(ports).toEqual([`${base.vethPrefix}2`]);
    expect(addr).toContain('inet 10.218.0.1/16');
  });
});
