// mkenvimage (u-boot-tools) is the oracle for the block layout: same input lines, same bytes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import { haveTools, run } from '../test-support/oracle.js';
import { decodeUbootEnv } from './decode.js';
import { encodeUbootEnv, type EncodeOptions } from './encode.js';
import { randomVars } from './random-vars.js';

const hasMkenvimage = haveTools('mkenvimage');
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfleet-mkenvimage-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs mkenvimage on `lines` and returns the image it wrote. */
function mkenvimage(lines: string, args: string[]): Buffer {
  const input = path.join(dir, 'env.txt');
  const output = path.join(dir, 'env.bin');
  fs.writeFileSync(input, lines);
  run('mkenvimage', [...args, '-o', output, input]);
  return fs.readFileSync(output);
}

function inputLines(vars: Map<string, string>): string {
  return [...vars].map(([k, v]) => `${k}=${v}\n`).join('');
}

// protocol §3.5: the top-level Containerfile's uEnv.txt
const CONTAINERFILE_ENV = new Map([
  ['peridio_key', ''],
  ['peridio_certificate', ''],
  ['peridio_active', 'a'],
  ['peridio_validated', '1'],
  ['peridio_autovalidate', '1'],
  ['peridio_booted', '1'],
  ['peridio_disk_devpath', '/dev/null'],
  ['a.peridio_product', 'peridiod'],
  ['a.peridio_description', 'peridiod'],
  ['a.peridio_version', '1.0.0'],
  ['a.peridio_platform', 'container'],
  ['a.peridio_architecture', 'container'],
  ['a.peridio_author', 'peridio'],
  ['a.peridio_uuid', '53fd2ef6-1bf3-4695-84ed-c3195c7c8d9e'],
]);

const MODES: Array<{ name: string; args: string[]; opts: EncodeOptions }> = [
  { name: '-p 0xff', args: ['-s', '0x20000', '-p', '0xff'], opts: { size: 0x20000, pad: 0xff } },
  { name: '-p 0', args: ['-s', '0x20000', '-p', '0'], opts: { size: 0x20000, pad: 0x00 } },
  { name: '-r', args: ['-r', '-s', '0x20000'], opts: { size: 0x20000, redundant: true } },
  { name: '-r -p 0', args: ['-r', '-s', '0x20000', '-p', '0'], opts: { size: 0x20000, redundant: true, pad: 0x00 } },
];

describe.skipIf(!hasMkenvimage)('mkenvimage interop', () => {
  it.each(MODES)('core encodes byte-identically to mkenvimage $name', ({ args, opts }) => {
    const sets = [CONTAINERFILE_ENV, new Map<string, string>(), ...[1, 2, 3, 4, 5].map((seed) => randomVars(seed, seed * 60, true))];
    for (const vars of sets) {
      const expected = mkenvimage(inputLines(vars), args);
      const actual = encodeUbootEnv(vars, opts);
      expect(actual.length).toBe(expected.length);
      expect(actual.equals(expected)).toBe(true);
    }
  });

  it.each(MODES)('core decodes mkenvimage $name output', ({ args, opts }) => {
    for (const vars of [CONTAINERFILE_ENV, randomVars(42, 200, true)]) {
      const decoded = decodeUbootEnv(mkenvimage(inputLines(vars), args), { redundant: opts.redundant ?? false });
      expect([...decoded.vars]).toEqual([...vars]);
      expect(decoded.flag).toBe(opts.redundant ? 1 : undefined);
    }
  });

  it('skips comment and blank lines of the input as core never sees them', () => {
    const image = mkenvimage('# a comment\n\nfoo=bar\n#not=this\nbaz=1 2 3\n', ['-s', '0x1000']);
    expect([...decodeUbootEnv(image).vars]).toEqual([['foo', 'bar'], ['baz', '1 2 3']]);
  });

  it('agrees with core on the largest env that fits', () => {
    const vars = new Map([['abcdefghi', 'x'.repeat(100)]]);
    const need = 4 + 'abcdefghi='.length + 100 + 2;
    expect(mkenvimage(inputLines(vars), ['-s', String(need)]).equals(encodeUbootEnv(vars, { size: need }))).toBe(true);
    expect(() => mkenvimage(inputLines(vars), ['-s', String(need - 1)])).toThrow(/too large/);
    expect(() => encodeUbootEnv(vars, { size: need - 1 })).toThrow(/1 byte too many/);
  });
});
