import { describe, expect, it } from 'vitest';
import { abUpgradeTasks } from './ab-tasks.js';
import { applyFwupArchive } from './apply.js';
import { decodeFwupArchive } from './archive.js';
import { createFwupArchive, type CreateFwupArchiveInput, fwupCall } from './create.js';
import { bufferImageTarget } from './image-target.js';
import { imageWithEnv, parseEnvLines, readVector, vectorText } from './test-vectors.js';
import { verifyFwupArchive } from './verify.js';

const pub = vectorText('fwup-key.pub');
const vector = decodeFwupArchive(readVector('ab-upgrade-signed.fw'), { publicKeys: [pub] });

/** The inputs of the vectors' ab-upgrade.conf. */
const abInput: CreateFwupArchiveInput = {
  meta: { product: 'edge-inference-os', version: '1.13.0', platform: 'vfleet', architecture: 'arm64-v8' },
  resources: [{ name: 'rootfs.img', data: readVector('rootfs.img') }],
  envs: [{ name: 'uboot-env', blockOffset: 2048, blockCount: 256 }],
  tasks: abUpgradeTasks({ slotA: 4096, slotB: 20480, env: 'uboot-env', version: '1.13.0', product: 'edge-inference-os' }),
  creationTime: new Date('2025-11-28T00:00:00Z'),
};

function applied(fw: Buffer, publicKeys: string[] = []): { image: Buffer; result: ReturnType<typeof applyFwupArchive> } {
  const image = imageWithEnv(parseEnvLines(vectorText('env-before.txt')));
  return { image, result: applyFwupArchive(fw, bufferImageTarget(image), { task: 'upgrade', publicKeys }) };
}

describe('createFwupArchive with the inputs of ab-upgrade.conf', () => {
  it('writes the byte-identical meta.conf fwup 1.16 compiled, and parses to the same tasks and resources', () => {
    const created = decodeFwupArchive(createFwupArchive(abInput));
    expect(created.metaConf.toString()).toBe(vector.metaConf.toString());
    expect(created.meta.tasks).toEqual(vector.meta.tasks);
    expect(created.meta.resources).toEqual(vector.meta.resources);
    expect(created.meta.metadata).toEqual(vector.meta.metadata);
    expect(verifyFwupArchive(created).message).toBe('Valid archive without a signature');
  });

  it('signs with the vector key to the same signature fwup wrote, verifying with fwup-key.pub', () => {
    const created = decodeFwupArchive(createFwupArchive({ ...abInput, signingKey: vectorText('fwup-key.priv') }), { publicKeys: [pub] });
    expect(created.signatureStatus).toBe('verified');
    expect(created.signature?.equals(vector.signature!)).toBe(true);
  });

  it('applies with the same result as the archive fwup made', () => {
    const ours = applied(createFwupArchive({ ...abInput, signingKey: vectorText('fwup-key.priv') }), [pub]);
    const theirs = applied(readVector('ab-upgrade-signed.fw'), [pub]);
    expect(ours.result).toEqual(theirs.result);
    expect(ours.image.equals(theirs.image)).toBe(true);
  });
});

describe('abUpgradeTasks', () => {
  it('sets extra slot metadata as <slot>.<key> before switching the active slot', () => {
    const [a] = abUpgradeTasks({ slotA: 1, slotB: 2, env: 'e', version: '2', product: 'p', extraVars: { peridio_platform: 'x' } });
    expect(a?.onFinish.map((c) => `${c.args[1]}=${c.args[2]}`)).toEqual([
      'a.peridio_version=2',
      'a.peridio_product=p',
      'a.peridio_platform=x',
      'peridio_active=a',
      'upgrade_available=1',
      'bootcount=0',
    ]);
  });
});

describe('createFwupArchive rejects what fwup or vfleet could not apply', () => {
  const base = { ...abInput, tasks: [] };
  it.each([
    [{ name: 't', onInit: [fwupCall('fat_mkfs', 0, 100)] }, /task "t" on-init: fat_mkfs\("0", "100"\): fat_mkfs is not supported/],
    [{ name: 't', onInit: [fwupCall('uboot_setenv', 'nope', 'k', 'v')] }, /can't find uboot-environment reference "nope"/],
    [{ name: 't', onInit: [fwupCall('raw_write', 0)] }, /raw_write only usable in on-resource/],
    [{ name: 't', onResource: [{ resource: 'missing', calls: [] }] }, /on-resource "missing": no resource of that name/],
    [{ name: 't', requirements: [fwupCall('require-partition-offset', 4, 0)] }, /partition number to be 0-3/],
    [{ name: 't', onInit: [fwupCall('info')] }, /info requires a message parameter/],
  ])('%#', (task, message) => {
    expect(() => createFwupArchive({ ...base, tasks: [task] })).toThrow(message);
  });

  it('rejects reserved and duplicate resource names', () => {
    expect(() => createFwupArchive({ ...base, resources: [{ name: '/meta.conf', data: Buffer.alloc(1) }] })).toThrow(/is reserved/);
    expect(() => createFwupArchive({ ...base, resources: [...abInput.resources, ...abInput.resources] })).toThrow(/appears twice/);
  });
});
