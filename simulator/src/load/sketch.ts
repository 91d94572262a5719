/**
 * A DDSketch-style quantile sketch: values fall into logarithmic buckets whose bounds grow by
 * `gamma = (1 + α) / (1 − α)`, so every quantile is answered within relative error α. Two
 * sketches with the same α merge by adding bucket counts, which is what lets shards (or phases)
 * be combined without keeping raw samples.
 */
export interface SketchJson {
  alpha: number;
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
  /** Values ≤ the smallest tracked magnitude (counted as 0). */
  zeros: number;
  /** [bucket index, count], ascending index. */
  buckets: Array<[number, number]>;
}

/** Below this a value counts as zero (keeps the bucket index range finite). */
const MIN_TRACKED = 1e-9;

export class Sketch {
  readonly alpha: number;
  private readonly gamma: number;
  private readonly logGamma: number;
  private readonly buckets = new Map<number, number>();
  private zeros = 0;
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;

  constructor(alpha = 0.01) {
    if (!(alpha > 0 && alpha < 1)) throw new RangeError(`sketch relative accuracy ${alpha}: expected 0 < α < 1`);
    this.alpha = alpha;
    this.gamma = (1 + alpha) / (1 - alpha);
    this.logGamma = Math.log(this.gamma);
  }

  /** Adds one value (≥ 0, finite); anything else is a programming error. */
  add(value: number, times = 1): void {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`sketch value ${value}: expected a finite number ≥ 0`);
    if (value <= MIN_TRACKED) this.zeros += times;
    else {
      const i = Math.ceil(Math.log(value) / this.logGamma);
      this.buckets.set(i, (this.buckets.get(i) ?? 0) + times);
    }
    this.count += times;
    this.sum += value * times;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  /** Adds every bucket of `other` (same α) into this sketch. */
  merge(other: Sketch): this {
    if (other.alpha !== this.alpha) throw new RangeError(`cannot merge sketches with α ${other.alpha} and ${this.alpha}`);
    for (const [i, c] of other.buckets) this.buckets.set(i, (this.buckets.get(i) ?? 0) + c);
    this.zeros += other.zeros;
    this.count += other.count;
    this.sum += other.sum;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
    return this;
  }

  /**
   * The nearest-rank quantile — the ⌈q·n⌉-th smallest sample (the smallest for q = 0) — within
   * relative error α; undefined when empty. Clamped to [min, max], which are exact.
   */
  quantile(q: number): number | undefined {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile ${q}: expected 0 ≤ q ≤ 1`);
    if (this.count === 0) return undefined;
    const rank = Math.max(0, Math.ceil(q * this.count) - 1);
    if (rank === 0) return this.min;
    if (rank === this.count - 1) return this.max;
    let seen = this.zeros;
    if (rank < seen) return 0;
    for (const [i, c] of this.sortedBuckets()) {
      seen += c;
      if (rank < seen) return Math.min(this.max, Math.max(this.min, this.bucketValue(i)));
    }
    return this.max;
  }

  mean(): number | undefined {
    return this.count === 0 ? undefined : this.sum / this.count;
  }

  /** The representative value of bucket `i` (the point equidistant, relatively, from both bounds). */
  bucketValue(i: number): number {
    return (2 * this.gamma ** i) / (this.gamma + 1);
  }

  /** Bucket lower/upper bounds and counts, ascending (zeros first as [0, 0]). */
  bins(): Array<{ lo: number; hi: number; count: number }> {
    const out: Array<{ lo: number; hi: number; count: number }> = [];
    if (this.zeros > 0) out.push({ lo: 0, hi: 0, count: this.zeros });
    for (const [i, c] of this.sortedBuckets()) out.push({ lo: this.gamma ** (i - 1), hi: this.gamma ** i, count: c });
    return out;
  }

  toJSON(): SketchJson {
    return {
      alpha: this.alpha,
      count: this.count,
      sum: this.sum,
      min: this.count === 0 ? null : this.min,
      max: this.count === 0 ? null : this.max,
      zeros: this.zeros,
      buckets: this.sortedBuckets(),
    };
  }

  static fromJSON(json: SketchJson): Sketch {
    const s = new Sketch(json.alpha);
    for (const [i, c] of json.buckets) s.buckets.set(i, c);
    s.zeros = json.zeros;
    s.count = json.count;
    s.sum = json.sum;
    s.min = json.min ?? Number.POSITIVE_INFINITY;
    s.max = json.max ?? Number.NEGATIVE_INFINITY;
    return s;
  }

  private sortedBuckets(): Array<[number, number]> {
    return [...this.buckets].sort((a, b) => a[0] - b[0]);
  }
}
