import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonRegistry } from './json-registry.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const file = () => {
  const d = mkdtempSync(join(tmpdir(), 'vfleet-registry-'));
  dirs.push(d);
  return join(d, 'run', 'things.json');
};

describe('jsonRegistry', () => {
  it('reads nothing from an absent or corrupt file', () => {
    const f = file();
    expect(jsonRegistry(f).read()).toEqual([]);
    const r = jsonRegistry<{ id: string }>(f);
    return r.update(() => [{ id: 'a' }]).then(() => {
      writeFileSync(f, '{not json');
      expect(r.read()).toEqual([]);
    });
  });

  it('keeps every entry when many updates interleave, also through two handles on one file', async () => {
    const f = file();
    const a = jsonRegistry<{ id: number }>(f);
    const b = jsonRegistry<{ id: number }>(f);
    await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).update((e) => [...e, { id: i }])));
    expect(a.read().map((e) => e.id).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(JSON.parse(readFileSync(f, 'utf8'))).toHaveLength(50);
  });

  it('drops entries its guard refuses and goes on after a failed change', async () => {
    const f = file();
    mkdirSync(dirname(f), { recursive: true });
    writeFileSync(f, '[{"id":1},7,null,{"x":2}]');
    const r = jsonRegistry<{ id: number }>(f, (v): v is { id: number } => typeof (v as { id?: unknown } | null)?.id === 'number');
    expect(r.read()).toEqual([{ id: 1 }]);
    await expect(r.update(() => { throw new Error('boom'); })).rejects.toThrow('boom');
    await r.update((e) => [...e, { id: 2 }]);
    expect(r.read()).toEqual([{ id: 1 }, { id: 2 }]);
  });
});
