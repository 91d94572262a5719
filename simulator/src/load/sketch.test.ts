import { describe, expect, it } from 'vitest';
import { seededRandom } from './random.js';
import { Sketch } from './sketch.js';

const QUANTILES = [0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

function exact(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] as number;
}

const random = seededRandom(42);
const distributions: Record<string, () => number> = {
  uniform: () => random() * 1000,
  exponential: () => -Math.log(1 - random()) * 250,
  lognormal: () => Math.exp(3 + 2 * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())),
  // a bimodal load test: most devices fast, a tail 100× slower
  bimodal: () => (random() < 0.9 ? 50 + random() * 10 : 5000 + random() * 5000),
};

describe('Sketch', () => {
  it.each(Object.keys(distributions))('answers every quantile of %s within α of the exact sorted value', (name) => {
    const draw = distributions[name] as () => number;
    for (const alpha of [0.01, 0.05]) {
      const values = Array.from({ length: 20_000 }, draw);
      const s = new Sketch(alpha);
      for (const v of values) s.add(v);
      const sorted = [...values].sort((a, b) => a - b);
      for (const q of QUANTILES) {
        const want = exact(sorted, q);
        const got = s.quantile(q) as number;
        expect(Math.abs(got - want) / want, `${name} α=${alpha} q=${q}: ${got} vs ${want}`).toBeLessThanOrEqual(alpha + 1e-12);
      }
      expect(s.count).toBe(values.length);
      expect(s.min).toBe(sorted[0]);
      expect(s.max).toBe(sorted.at(-1));
      expect(s.mean()).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 6);
    }
  });

  it('merging parts gives the same sketch as adding everything to one', () => {
    const values = Array.from({ length: 9000 }, distributions['lognormal'] as () => number);
    const whole = new Sketch();
    for (const v of values) whole.add(v);
    const parts = [new Sketch(), new Sketch(), new Sketch()];
    values.forEach((v, i) => (parts[i % 3] as Sketch).add(v));
    const merged = (parts[0] as Sketch).merge(parts[1] as Sketch).merge(parts[2] as Sketch);
    const a = merged.toJSON();
    const b = whole.toJSON();
    expect(a.buckets).toEqual(b.buckets);
    expect([a.count, a.min, a.max, a.zeros]).toEqual([b.count, b.min, b.max, b.zeros]);
    expect(a.sum).toBeCloseTo(b.sum, 6);
    const sorted = [...values].sort((x, y) => x - y);
    for (const q of QUANTILES) expect(Math.abs((merged.quantile(q) as number) - exact(sorted, q)) / exact(sorted, q)).toBeLessThanOrEqual(0.01 + 1e-12);
  });

  it('survives a JSON round trip and merges after it (shards send their sketch as JSON)', () => {
    const s = new Sketch();
    [0, 1, 2, 3, 500, 1e6].forEach((v) => s.add(v));
    const back = Sketch.fromJSON(JSON.parse(JSON.stringify(s)) as ReturnType<Sketch['toJSON']>);
    expect(back.toJSON()).toEqual(s.toJSON());
    back.merge(s);
    expect(back.count).toBe(12);
    expect(back.quantile(0)).toBe(0);
    expect(back.quantile(1)).toBe(1e6);
  });

  it('is empty-safe and refuses values it cannot hold', () => {
    const s = new Sketch();
    expect(s.quantile(0.5)).toBeUndefined();
    expect(s.mean()).toBeUndefined();
    expect(s.toJSON()).toMatchObject({ count: 0, min: null, max: null, buckets: [] });
    expect(() => s.add(-1)).toThrow(/expected a finite number ≥ 0/);
    expect(() => s.add(Number.NaN)).toThrow(/sketch value NaN/);
    expect(() => s.quantile(1.5)).toThrow(/expected 0 ≤ q ≤ 1/);
    expect(() => s.merge(new Sketch(0.02))).toThrow(/cannot merge/);
  });

  it('counts zeros exactly and keeps them below every positive value', () => {
    const s = new Sketch();
    for (let i = 0; i < 10; i++) s.add(0);
    for (let i = 1; i <= 10; i++) s.add(i * 100);
    expect(s.quantile(0.5)).toBe(0);
    expect(Math.abs((s.quantile(0.55) as number) - 100) / 100).toBeLessThanOrEqual(0.01);
    expect(Math.abs((s.quantile(0.75) as number) - 500) / 500).toBeLessThanOrEqual(0.01);
    expect(s.bins()[0]).toEqual({ lo: 0, hi: 0, count: 10 });
  });
});
