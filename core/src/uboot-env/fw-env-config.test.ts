import { describe, it, expect } from 'vitest';
import { VfleetError } from '../errors.js';
import { formatFwEnvConfig, parseFwEnvConfig } from './fw-env-config.js';

function configError(text: string): string {
  try {
    parseFwEnvConfig(text, 'cfg');
  } catch (e) {
    expect(e).toBeInstanceOf(VfleetError);
    expect((e as VfleetError).code).toBe('VFLEET_ENV_CONFIG_INVALID');
    return (e as VfleetError).message;
  }
  return expect.unreachable('expected a VFLEET_ENV_CONFIG_INVALID rejection');
}

describe('parseFwEnvConfig', () => {
  it('reads the line peridiod and the EVK use', () => {
    expect(parseFwEnvConfig('/etc/peridiod/uboot.env 0x0000 0x20000\n')).toEqual({
      copies: [{ path: '/etc/peridiod/uboot.env', offset: 0, size: 0x20000 }],
    });
  });

  it('reads a redundant pair with comments, blank lines, decimal and sector columns', () => {
    const text = [
      '# device  offset  size  sector size  sectors',
      '',
      '/dev/mmcblk0 0x100000 0x20000 0x20000 1  # first copy',
      '   ',
      '\t/dev/mmcblk0\t1179648 131072 0X20000 0x2\r',
    ].join('\n');
    expect(parseFwEnvConfig(text).copies).toEqual([
      { path: '/dev/mmcblk0', offset: 0x100000, size: 0x20000, sectorSize: 0x20000, sectors: 1 },
      { path: '/dev/mmcblk0', offset: 0x120000, size: 0x20000, sectorSize: 0x20000, sectors: 2 },
    ]);
  });

  it('keeps a "#" inside a path', () => {
    expect(parseFwEnvConfig('/tmp/a#b 0 0x100').copies[0]?.path).toBe('/tmp/a#b');
  });

  it('rejects no copies and a third copy, naming the line', () => {
    expect(configError('# nothing\n\n')).toMatch(/^cfg: no env copy; expected 1 line \(non-redundant\) or 2 lines \(redundant\)/);
    expect(configError('a 0 0x100\nb 0 0x100\n\nc 0 0x100\n')).toBe('cfg:4: a third env copy; expected 1 line (non-redundant) or 2 lines (redundant)');
  });

  it('rejects a line with too few or too many fields', () => {
    expect(configError('\n/x 0\n')).toBe('cfg:2: 2 field(s); expected "<file> <offset> <size> [sector size] [sectors]"');
    expect(configError('/x 0 1 2 3 4\n')).toMatch(/^cfg:1: 6 field\(s\)/);
  });

  it('rejects numbers that are neither decimal nor 0x hex', () => {
    expect(configError('/x 0 20000h')).toBe('cfg:1: size "20000h" is not a number; expected decimal or 0x hex');
    expect(configError('/x -4 0x100')).toMatch(/^cfg:1: offset "-4" is not a number/);
    expect(configError('/x 0 0x100 0xZZ')).toMatch(/^cfg:1: sector size "0xZZ" is not a number/);
    expect(configError('/x 0 0x100 0x100 1.5')).toMatch(/^cfg:1: sectors "1.5" is not a number/);
  });

  it('rejects sizes too small to hold an env', () => {
    expect(configError('/x 0 5')).toBe('cfg:1: size 5 is too small for a non-redundant env; expected at least 6');
    expect(configError('# pair\n/x 0 6\n/y 0 6')).toBe('cfg:2: size 6 is too small for a redundant env; expected at least 7');
  });

  it('rejects redundant copies of different sizes or overlapping ranges', () => {
    expect(configError('/x 0 0x100\n/y 0 0x200')).toBe("cfg:2: size 0x200 differs from the first copy's 0x100; redundant copies have equal sizes");
    expect(configError('/x 0 0x100\n/x 0xff 0x100')).toBe('cfg:2: copy overlaps the first copy in /x');
    expect(parseFwEnvConfig('/x 0 0x100\n/x 0x100 0x100').copies).toHaveLength(2);
  });
});

describe('formatFwEnvConfig', () => {
  it('writes the exact peridiod/EVK line', () => {
    expect(formatFwEnvConfig({ copies: [{ path: '/etc/peridiod/uboot.env', offset: 0, size: 0x20000 }] })).toBe(
      '/etc/peridiod/uboot.env 0x0000 0x20000\n',
    );
  });

  it('writes every number in 0x hex and round-trips through the parser', () => {
    const cfg = {
      copies: [
        { path: '/img', offset: 0x100000, size: 0x20000, sectorSize: 0x1000, sectors: 0x20 },
        { path: '/img', offset: 0x120, size: 0x20000 },
      ],
    };
    const text = formatFwEnvConfig(cfg);
    expect(text).toBe('/img 0x100000 0x20000 0x1000 0x20\n/img 0x0120 0x20000\n');
    expect(parseFwEnvConfig(text)).toEqual(cfg);
  });

  it('rejects what it cannot write', () => {
    const fmt = (copies: Parameters<typeof formatFwEnvConfig>[0]['copies']): string => {
      try {
        formatFwEnvConfig({ copies });
      } catch (e) {
        expect((e as VfleetError).code).toBe('VFLEET_ENV_CONFIG_INVALID');
        return (e as VfleetError).message;
      }
      return expect.unreachable('expected a rejection');
    };
    expect(fmt([])).toBe('fw_env.config: 0 copies; expected 1 (non-redundant) or 2 (redundant)');
    expect(fmt([{ path: '/a b', offset: 0, size: 0x100 }])).toMatch(/^fw_env.config copy 0: path "\/a b" cannot be written/);
    expect(fmt([{ path: '/a', offset: -1, size: 0x100 }])).toBe('fw_env.config copy 0: offset -1 is not a non-negative integer');
    expect(fmt([{ path: '/a', offset: 0, size: 0x100, sectors: 2 }])).toMatch(/sectors given without a sector size/);
  });
});
