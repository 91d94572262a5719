// The docker runtime against devices and workspaces that do not play along: paths with the
// characters --mount splits on, a device that swaps a file for a link while the host looks at it,
// another workspace on the same engine. Each race is made deterministic by a wrapper on PATH that
// does the device's (or the other workspace's) move right before the real tool runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { haveTools, run } from '@vfleet/core/test-support';
import { buildAgentImage } from '../image.js';
import type { RunningDevice } from '../types.js';
import { bindMount, createDockerRuntime, loopFwEnvConfig, networkHome } from './docker.js';
import { recordedLoops } from './loop.js';
import { homeHash } from './netutil.js';
import { engineAnswers } from './test-engine.js';

describe('docker runtime arguments', () => {
  it('quotes a --mount field holding a comma or a quote, as the engines read it (one CSV record)', () => {
    expect(bindMount('/srv/fleet/D1', '/etc/peridiod')).toBe('type=bind,source=/srv/fleet/D1,target=/etc/peridiod');
    expect(bindMount('/srv/a,source=/etc/D1', '/etc/peridiod')).toBe('type=bind,"source=/srv/a,source=/etc/D1",target=/etc/peridiod');
    expect(bindMount('/srv/say "hi"/D1', '/etc/hwrevision', true)).toBe('type=bind,"source=/srv/say ""hi""/D1",target=/etc/hwrevision,readonly');
    expect(bindMount('/srv/a=b/D1', '/x')).toBe('type=bind,source=/srv/a=b/D1,target=/x');
  });
  it("reads a network's home label from docker's and podman's inspect output", () => {
    expect(networkHome(JSON.stringify([{ Labels: { 'vfleet.home': 'abc' } }]))).toBe('abc');
    expect(networkHome(JSON.stringify([{ labels: { 'vfleet.home': 'def' } }]))).toBe('def');
    expect(networkHome(JSON.stringify([{ Labels: null }]))).toBeUndefined();
  });
  it('names the device file a malformed fw_env.config came from', () => {
    expect(() => loopFwEnvConfig('', '/srv/fleet/D1/fw_env.config')).toThrow(/^\/srv\/fleet\/D1\/fw_env\.config: no env copy/);
  });
});

const enabled = haveTools('docker') && engineAnswers('docker');
const isRoot = process.getuid?.() === 0;
const tag = randomBytes(3).toString('hex');
const agentImage = `vft-dkh/agent:${tag}`;
// the agent's image with an entrypoint that reports what the container got, then waits to be stopped
const probeImage = `vft-dkh/probe:${tag}`;
const prefix = `vft-dkh-${tag}-`;
const root = mkdtempSync(join(tmpdir(), 'vft-docker-hostile-'));
const realDocker = spawnSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' }).stdout.trim();
const realLosetup = spawnSync('sh', ['-c', 'command -v losetup'], { encoding: 'utf8' }).stdout.trim();

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Puts `script` first on PATH as `name` for the duration of `body`. */
async function withWrapper<T>(name: string, script: string, body: () => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(root, 'wrap-'));
  writeFileSync(join(dir, name), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  const saved = process.env['PATH'];
  process.env['PATH'] = `${dir}:${saved ?? ''}`;
  try {
    return await body();
  } finally {
    process.env['PATH'] = saved;
  }
}

const device = (id: string, dir: string, lines: string[] = []) => ({ id, deviceDir: dir, env: {}, onLine: (l: string) => void lines.push(l) });
const until = async (ok: () => boolean, ms: number) => {
  for (const end = Date.now() + ms; !ok() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
};

describe.runIf(enabled)('docker runtime against hostile devices and other workspaces', () => {
  const homes: string[] = [];
  const runtime = (name: string, extra: Partial<Parameters<typeof createDockerRuntime>[0]> = {}) => {
    const home = join(root, `home-${name}`);
    homes.push(home);
    return createDockerRuntime({ home, image: probeImage, namePrefix: `${prefix}${name}-`, networkPrefix: `${prefix}${name}-net-`, ...extra });
  };

  beforeAll(async () => {
    await buildAgentImage({ offline: true, tag: agentImage });
    const ctx = join(root, 'probe-image');
    mkdirSync(ctx);
    writeFileSync(join(ctx, 'vfleet-agent'), '#!/bin/sh\necho "hwrevision: $(cat /etc/hwrevision 2>&1)"\necho "marker: $(cat /etc/peridiod/marker 2>&1)"\nexec sleep 3600\n', { mode: 0o755 });
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${agentImage}\nCOPY vfleet-agent /usr/local/bin/vfleet-agent\n`);
    run('docker', ['build', '--force-rm', '-q', '-t', probeImage, ctx]);
  }, 180_000);

  afterAll(async () => {
    for (const home of homes) await createDockerRuntime({ home }).cleanup();
    // and what the tests' other workspace made
    for (const id of run('docker', ['ps', '-aq', '--filter', `name=${prefix}`]).split('\n').filter(Boolean)) spawnSync('docker', ['rm', '-f', id]);
    spawnSync('docker', ['image', 'rm', '-f', probeImage, agentImage]);
  }, 60_000);

  it('mounts a device directory whose path has a comma or a quote as itself, not the directory the comma names', async () => {
    const rt = runtime('comma');
    const other = join(root, 'not-the-device');
    mkdirSync(join(other, 'D1'), { recursive: true });
    writeFileSync(join(other, 'D1', 'marker'), 'another host directory');
    // as one --mount string this was "source=<root>/fleet,source=<other>/D1": the engine took the last source
    const commaDir = join(root, `fleet,source=${other}`, 'D1');
    const quoteDir = join(root, 'fleet "quoted"', 'D2');
    for (const [dir, text] of [[commaDir, 'device D1'], [quoteDir, 'device D2']] as const) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'marker'), text);
    }
    const running: RunningDevice[] = [];
    const source = (name: string) => run('docker', ['inspect', '--format', '{{range .Mounts}}{{if eq .Destination "/etc/peridiod"}}{{.Source}}{{end}}{{end}}', name]).trim();
    try {
      for (const [id, dir] of [['D1', commaDir], ['D2', quoteDir]] as const) {
        const lines: string[] = [];
        running.push(await rt.start(device(id, dir, lines)));
        await until(() => lines.length >= 2, 10_000);
        expect(lines.find((l) => l.startsWith('marker: '))).toBe(`marker: device ${id}`);
        expect(source(`${prefix}comma-${id}`)).toBe(dir);
      }
    } finally {
      for (const d of running) await d.kill();
    }
  }, 60_000);

  it("never mounts a host file the device's hwrevision links to, even when it swaps the file while docker runs", async () => {
    const rt = runtime('hwrev');
    const dir = join(root, 'hw', 'H1');
    mkdirSync(join(dir, 'root', 'etc'), { recursive: true });
    writeFileSync(join(dir, 'root', 'etc', 'hwrevision'), 'board 1.0\n');
    const secret = join(root, 'host-secret');
    writeFileSync(secret, 'HOST SECRET\n');
    const lines: string[] = [];
    // a container of the device still running swaps its file for a link after the host looked at it
    const swap = `if [ "$1" = run ]; then ln -sfn ${secret} ${join(dir, 'root', 'etc', 'hwrevision')}; fi\nexec ${realDocker} "$@"`;
    const dev = await withWrapper('docker', swap, () => rt.start(device('H1', dir, lines)));
    try {
      await until(() => lines.length >= 2, 10_000);
      expect(lines).toContain('hwrevision: board 1.0');
      expect(lines.join('\n')).not.toContain('HOST SECRET');
    } finally {
      await dev.kill();
    }
    // the host's copy goes with its container
    expect(readdirSync(join(root, 'home-hwrev', 'run', 'docker'))).toEqual([]);
  }, 60_000);

  it("one workspace's cleanup leaves another's network and devices alone: networks are per home by default", async () => {
    const a = createDockerRuntime({ home: join(root, 'home-wsa'), image: probeImage, namePrefix: `${prefix}wsa-` });
    const b = createDockerRuntime({ home: join(root, 'home-wsb'), image: probeImage, namePrefix: `${prefix}wsb-` });
    homes.push(join(root, 'home-wsa'), join(root, 'home-wsb'));
    for (const rt of [a, b]) {
      await rt.preflight(1);
      await rt.prepare?.();
    }
    expect(a.backendListenHosts()).not.toEqual(b.backendListenHosts());
    const dir = join(root, 'ws', 'W1');
    mkdirSync(dir, { recursive: true });
    const devA = await a.start(device('W1', dir));
    const devB = await b.start(device('W1', dir));
    try {
      await devA.kill();
      const report = await a.cleanup();
      expect(report.errors).toEqual([]);
      expect(report.removed).toEqual([{ kind: 'network', name: `vfleet-${homeHash(join(root, 'home-wsa')).slice(0, 5)}-net-0` }]);
      expect(run('docker', ['inspect', '--format', '{{.State.Running}}', `${prefix}wsb-W1`]).trim()).toBe('true');
    } finally {
      await devB.kill();
      await b.cleanup();
    }
  }, 60_000);

  it('refuses a network of its prefix that another home made, naming the owner', async () => {
    const shared = `${prefix}shared-net-`;
    const a = runtime('sha', { networkPrefix: shared });
    const c = runtime('shc', { networkPrefix: shared });
    await a.prepare?.();
    try {
      await expect(c.prepare?.()).rejects.toThrow(`docker: network ${shared}0 exists and is not this fleet's (label vfleet.home=${homeHash(join(root, 'home-sha'))}); remove it or pick another network prefix`);
    } finally {
      await a.cleanup();
    }
  }, 30_000);

  it("cleanup removes by id: a container of another workspace that takes the name meanwhile is left alone", async () => {
    const rt = runtime('race');
    const home = join(root, 'home-race');
    const name = `${prefix}race-R1`;
    run('docker', ['create', '--name', name, '--label', 'vfleet=1', '--label', `vfleet.home=${homeHash(home)}`, probeImage]);
    const flag = join(root, 'race-flag');
    writeFileSync(flag, '');
    // right after this workspace lists its containers, its R1 goes and another workspace makes its own R1
    const takeOver = [
      `out=$(${realDocker} "$@"); rc=$?`,
      `if [ "$1" = ps ] && [ -e ${flag} ]; then rm -f ${flag}; ${realDocker} rm -f ${name} >/dev/null; ${realDocker} create --name ${name} --label vfleet=1 --label vfleet.home=someone-else ${probeImage} >/dev/null; fi`,
      '[ -n "$out" ] && printf "%s\\n" "$out"',
      'exit $rc',
    ].join('\n');
    try {
      const report = await withWrapper('docker', takeOver, () => rt.cleanup());
      expect(existsSync(flag)).toBe(false);
      expect(report).toEqual({ removed: [], errors: [] });
      expect(run('docker', ['inspect', '--format', '{{index .Config.Labels "vfleet.home"}}', name]).trim()).toBe('someone-else');
    } finally {
      spawnSync('docker', ['rm', '-f', name]);
    }
  }, 30_000);

  it("an agent's PATH or DOCKER_HOST reaches the agent and does not steer the engine client; a name with = is refused", async () => {
    const rt = runtime('env');
    const dir = join(root, 'env', 'E1');
    mkdirSync(dir, { recursive: true });
    const env = { PATH: '/opt/agent/bin:/usr/local/bin:/usr/bin:/bin', DOCKER_HOST: 'tcp://127.0.0.1:9', VFT_MULTI: 'line one\nline two' };
    const dev = await rt.start({ ...device('E1', dir), env });
    try {
      expect(run('docker', ['exec', `${prefix}env-E1`, 'sh', '-c', 'echo "$PATH|$DOCKER_HOST|$VFT_MULTI"'])).toBe(`${env.PATH}|${env.DOCKER_HOST}|line one\nline two\n`);
    } finally {
      await dev.kill();
    }
    await expect(rt.start({ ...device('E1', dir), env: { 'A=B': 'x' } })).rejects.toThrow('docker: env name "A=B" for E1: expected [A-Za-z_][A-Za-z0-9_]*');
  }, 30_000);

  it('refuses an image reference the engine would read as options, naming it', async () => {
    const rt = runtime('ref', { image: '--privileged' });
    const pre = await rt.preflight(1);
    expect(pre.problems[0]).toMatch(/^image "--privileged" is not an image reference: expected \[host\[:port\]\/\]name\[:tag\]\[@digest\]/);
    await expect(rt.start(device('X1', root))).rejects.toThrow(/^docker: image "--privileged" is not an image reference/);
  }, 30_000);

  describe.runIf(isRoot && haveTools('losetup', 'partx', 'sfdisk'))('--disk loop', () => {
    const partitioned = (file: string) => {
      writeFileSync(file, Buffer.alloc(4 * 2 ** 20));
      run('sfdisk', ['-q', file], 'label: dos\nstart=2048, size=4096, type=83\n');
    };
    const loopsOver = (part: string) => run('losetup', ['--list', '--noheadings', '--raw', '--output', 'NAME,BACK-FILE']).split('\n').filter((l) => l.includes(part)).map((l) => l.split(' ')[0] ?? '');
    const deviceWithDisk = (id: string) => {
      const dir = join(root, 'loop', id);
      mkdirSync(dir, { recursive: true });
      partitioned(join(dir, 'disk.img'));
      return dir;
    };
    const loopHome = join(root, 'home-loop');

    it('a disk.img swapped for a link to a host disk before losetup opens it is detached and refused', async () => {
      const rt = runtime('loop', { disk: 'loop' });
      const dir = deviceWithDisk('L1');
      writeFileSync(join(dir, 'fw_env.config'), '/etc/peridiod/disk.img 0x100000 0x2000\n');
      // the host's disk: not the device's, partitioned so that the old code went on to hand it in
      const hostDisk = join(root, 'host-disk.img');
      partitioned(hostDisk);
      const swap = `if [ "$1" = --find ]; then ln -sfn ${hostDisk} ${join(dir, 'disk.img')}; fi\nexec ${realLosetup} "$@"`;
      let dev: RunningDevice | undefined;
      try {
        const started = withWrapper('losetup', swap, () => rt.start(device('L1', dir)));
        await expect(started).rejects.toThrow(/^--disk loop: \/dev\/loop\d+ is not backed by the disk\.img checked at .*\/L1\/disk\.img \(the device replaced it while it was attached\); detached$/);
        dev = await started.catch(() => undefined);
        expect(loopsOver(hostDisk)).toEqual([]);
        expect(recordedLoops(loopHome)).toEqual([]);
      } finally {
        await dev?.kill();
        for (const d of loopsOver(hostDisk)) spawnSync('losetup', ['--detach', d]);
      }
    }, 60_000);

    it('a device that removed its fw_env.config still gets its disk (the agent inside says what is missing)', async () => {
      const rt = runtime('loop', { disk: 'loop' });
      const dev = await rt.start(device('L2', deviceWithDisk('L2')));
      try {
        expect(run('docker', ['exec', `${prefix}loop-L2`, 'sh', '-c', '[ -b /dev/mmcblk0 ] && [ ! -e /etc/peridiod/fw_env.config ] && echo disk-only'])).toBe('disk-only\n');
      } finally {
        await dev.kill();
      }
      expect(recordedLoops(loopHome)).toEqual([]);
    }, 60_000);

    it('a device that renames its disk.img while attached still has its loop detached when it stops', async () => {
      const rt = runtime('loop', { disk: 'loop' });
      const dir = deviceWithDisk('L3');
      writeFileSync(join(dir, 'fw_env.config'), '/etc/peridiod/uboot.env 0x0 0x2000\n');
      const dev = await rt.start(device('L3', dir));
      try {
        run('docker', ['exec', `${prefix}loop-L3`, 'node', '-e', "require('fs').renameSync('/etc/peridiod/disk.img', '/etc/peridiod/disk.old')"]);
      } finally {
        await dev.kill();
      }
      const leaked = loopsOver('/L3/disk.');
      for (const d of leaked) spawnSync('losetup', ['--detach', d]);
      expect(leaked).toEqual([]);
      expect(recordedLoops(loopHome)).toEqual([]);
    }, 60_000);
  });
});
