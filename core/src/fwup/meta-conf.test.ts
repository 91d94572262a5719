import { describe, expect, it } from 'vitest';
import { VfleetError } from '../errors.js';
import { parseMetaConf } from './meta-conf.js';
import { formatMetaConf } from './meta-conf-format.js';
import { fwupMetaUuid } from './meta-uuid.js';
import { readVector } from './test-vectors.js';
import { listZipEntries, readZipEntry } from './zip-read.js';

const fw = readVector('ab-upgrade.fw');
const compiled = readZipEntry(fw, listZipEntries(fw, 'fw').find((e) => e.name === 'meta.conf')!, 'fw').toString('utf8');

function rejection(text: string): string {
  try {
    parseMetaConf(text, { source: 'm.conf' });
  } catch (e) {
    expect(e).toBeInstanceOf(VfleetError);
    return (e as VfleetError).message;
  }
  return expect.unreachable('expected a rejection');
}

describe("parseMetaConf on fwup 1.16's compiled meta.conf", () => {
  const meta = parseMetaConf(compiled);

  it('reads metadata, the resource and the env', () => {
    expect(meta.metadata).toEqual({ product: 'edge-inference-os', version: '1.13.0', platform: 'vfleet', architecture: 'arm64-v8' });
    expect(meta.resources).toEqual([{ name: 'rootfs.img', lengths: [65536], blake2b256: '6adc29aacbad61de50c9380c42e0bde909eddc6e6d7bbe4c381cacce9844eebe' }]);
    expect(meta.ubootEnvs).toEqual([{ name: 'uboot-env', blockOffset: 2048, blockCount: 256 }]);
  });

  it('decodes reqlist and funlist into calls, in task order', () => {
    expect(meta.tasks.map((t) => t.name)).toEqual(['upgrade.a', 'upgrade.b', 'upgrade.unexpected']);
    const b = meta.tasks[1]!;
    expect(b.requirements).toEqual([{ fn: 'require-uboot-variable', args: ['uboot-env', 'peridio_active', 'a'] }]);
    expect(b.onInit).toEqual([{ fn: 'info', args: ['upgrading slot b'] }]);
    expect(b.onResource).toEqual([{ resource: 'rootfs.img', calls: [{ fn: 'raw_write', args: ['20480'] }] }]);
    expect(b.onFinish.map((c) => c.args.slice(1).join('='))).toEqual([
      'b.peridio_version=1.13.0',
      'b.peridio_product=edge-inference-os',
      'peridio_active=b',
      'upgrade_available=1',
      'bootcount=0',
    ]);
    expect(meta.tasks[2]?.onInit).toEqual([{ fn: 'error', args: ['Please check the media being upgraded: peridio_active is neither a nor b'] }]);
  });

  it('formats back to the byte-identical text fwup wrote', () => {
    expect(formatMetaConf(meta)).toBe(compiled);
  });
});

describe('parseMetaConf syntax', () => {
  it('expands ${VAR} and ${VAR:-default} in double quotes, not in single quotes', () => {
    const meta = parseMetaConf('meta-misc="id=${FWUP_META_UUID}"\nmeta-author=\'${X}\'\nmeta-platform="${NOPE:-dflt}"\n', {
      variables: { FWUP_META_UUID: 'u-1' },
    });
    expect(meta.metadata).toEqual({ misc: 'id=u-1', author: '${X}', platform: 'dflt' });
    // only the variables given: ${constructor} is not Object's
    expect(parseMetaConf('meta-platform="${constructor:-dflt}"\nmeta-author="[${__proto__}]"\n').metadata).toEqual({ platform: 'dflt', author: '[]' });
  });

  it('accepts the source form (functions, comments, escapes) and ignores unknown attributes', () => {
    const meta = parseMetaConf(
      [
        '# comment',
        'meta-future = "x" /* block',
        'comment */ uboot-environment env { block-offset = 0x800 block-count = 256 block-offset-redund = 2304 }',
        'task t { require-partition-offset(1, 4096) on-finish { uboot_setenv(env, "k", "a\\"b\\tc") } }',
      ].join('\n'),
    );
    expect(meta.ubootEnvs).toEqual([{ name: 'env', blockOffset: 2048, blockCount: 256, blockOffsetRedund: 2304 }]);
    expect(meta.tasks[0]?.requirements).toEqual([{ fn: 'require-partition-offset', args: ['1', '4096'] }]);
    expect(meta.tasks[0]?.onFinish).toEqual([{ fn: 'uboot_setenv', args: ['env', 'k', 'a"b\tc'] }]);
  });

  it('names line and column of syntax errors', () => {
    expect(rejection('meta-product="abc\n')).toBe('m.conf:1:14: unterminated string');
    expect(rejection('task "t" {\non-init {\nfunlist={2,info}\n}\n}\n')).toMatch(/^m\.conf:3:10: task "t" on-init funlist: item 0 announces 2 strings but only 1 follow/);
    expect(rejection('file-resource "a" {\n}\nfile-resource "a" {\n}\n')).toMatch(/^m\.conf:3:1: found duplicate title "a" for file-resource/);
    expect(rejection('uboot-environment "e" {\nblock-offset=1x\nblock-count=1\n}\n')).toMatch(/^m\.conf:2:1: uboot-environment "e" block-offset: "1x" is not a non-negative integer/);
    expect(rejection('uboot-environment "e" {\nblock-offset=10\nblock-count=4\nblock-offset-redund=12\n}')).toMatch(/overlaps the primary env/);
    expect(rejection('meta-product = {a, b}')).toMatch(/^m\.conf:1:1: meta-product takes one value/);
    expect(rejection('task "t" {\n')).toMatch(/^m\.conf:2:1: expected an option or section name, found the end of the file/);
    // 16 000 levels fit in 48 KB (under meta.conf's 50 000 bytes) and would overflow the stack
    expect(rejection(`${'a{'.repeat(16_000)}${'}'.repeat(16_000)}`)).toBe('m.conf:1:34: sections nested deeper than 16 levels');
  });
});

describe('fwupMetaUuid', () => {
  it("matches fwup's own test 151 (meta-uuid of a known meta.conf)", () => {
    const text = formatMetaConf({
      metadata: {
        product: 'product name',
        description: 'product description',
        version: 'some version',
        platform: 'a platform',
        architecture: 'an architecture',
        author: 'someone',
      },
      resources: [],
      ubootEnvs: [],
      tasks: [],
    });
    expect(text).toBe(
      'meta-product="product name"\nmeta-description="product description"\nmeta-version="some version"\nmeta-author=someone\nmeta-platform="a platform"\nmeta-architecture="an architecture"\n',
    );
    expect(fwupMetaUuid(Buffer.from(text))).toBe('53233641-82a4-5576-b75d-d227a234c626');
  });
});
