/**
 * A streaming quantile sketch with relative accuracy (DDSketch, Masson, Rim & Lee, VLDB 2019).
 *
 * Positive values land in logarithmic buckets: bucket i holds (γ^(i−1), γ^i] with
 * γ = (1+α)/(1−α), and reads back as 2γ^i/(γ+1), which is within a factor α of every value in it.
 * So P95 is within ±α (1% by default) of a true sample P95, whatever the distribution, using a few
 * hundred buckets for latencies between 1 ms and 10 minutes. Two sketches with the same α merge
 * exactly (bucket counts add), which is what lets replicas or time windows be combined.
 *
 * Written here rather than taken from `@datadog/sketches-js` to keep libs/core free of runtime
 * dependencies; this is the dense-store, lowest-buckets-collapse variant of that library.
 */
export class DDSketch {
  readonly relativeAccuracy: number;
  private readonly gamma: number;
  private readonly logGamma: number;
  private readonly maxBuckets: number;
  /** Read-back values of buckets, shared by every sketch with this γ (see bucketValue). */
  private readonly values: Float64Array;
  private counts: number[] = [];
  /** Bucket index of counts[0]. */
  private offset = 0;
  private zeroCount = 0;
  private total = 0;
  private minValue = Infinity;
  private maxValue = -Infinity;
  private sum = 0;

  constructor(options: { relativeAccuracy?: number; maxBuckets?: number } = {}) {
    this.relativeAccuracy = options.relativeAccuracy ?? 0.01;
    if (!(this.relativeAccuracy > 0 && this.relativeAccuracy < 1)) throw new RangeError('relativeAccuracy must be in (0, 1)');
    this.gamma = (1 + this.relativeAccuracy) / (1 - this.relativeAccuracy);
    this.logGamma = Math.log(this.gamma);
    this.values = valueTable(this.gamma);
    this.maxBuckets = options.maxBuckets ?? 2_048;
  }

  get count(): number {
    return this.total;
  }

  get min(): number | undefined {
    return this.total ? this.minValue : undefined;
  }

  get max(): number | undefined {
    return this.total ? this.maxValue : undefined;
  }

  get mean(): number | undefined {
    return this.total ? this.sum / this.total : undefined;
  }

  add(value: number, weight = 1): void {
    if (!Number.isFinite(value) || !(weight > 0)) return;
    this.total += weight;
    this.sum += value * weight;
    if (value < this.minValue) this.minValue = value;
    if (value > this.maxValue) this.maxValue = value;
    if (value <= MIN_INDEXABLE) {
      this.zeroCount += weight;
      return;
    }
    this.addToBucket(Math.ceil(Math.log(value) / this.logGamma), weight);
  }

  /** The value at quantile q ∈ [0, 1], or undefined when the sketch is empty. */
  quantile(q: number): number | undefined {
    return DDSketch.quantileAcross([this], q);
  }

  /**
   * A quantile of the union of several sketches with the same accuracy, without building the
   * merged sketch (sliding windows read two sketches at once).
   */
  static quantileAcross(sketches: readonly DDSketch[], q: number): number | undefined {
    const live = sketches.filter((s) => s.total > 0);
    if (live.length === 0 || !(q >= 0 && q <= 1)) return undefined;
    const first = live[0];
    let total = 0;
    let zero = 0;
    let lo = Infinity;
    let hi = -Infinity;
    let minValue = Infinity;
    let maxValue = -Infinity;
    for (const s of live) {
      if (s.relativeAccuracy !== first.relativeAccuracy) throw new RangeError('sketches with different accuracy cannot be combined');
      total += s.total;
      zero += s.zeroCount;
      minValue = Math.min(minValue, s.minValue);
      maxValue = Math.max(maxValue, s.maxValue);
      if (s.counts.length) {
        lo = Math.min(lo, s.offset);
        hi = Math.max(hi, s.offset + s.counts.length - 1);
      }
    }
    const rank = q * (total - 1);
    let seen = zero;
    if (seen > rank) return Math.max(0, minValue);
    for (let index = lo; index <= hi; index++) {
      for (const s of live) {
        const c = s.counts[index - s.offset];
        if (c) seen += c;
      }
      if (seen > rank) {
        const estimate = first.bucketValue(index);
        return Math.min(maxValue, Math.max(minValue, estimate));
      }
    }
    return maxValue;
  }

  /**
   * Over the union of `sketches`: the share of values ≤ `x`, and the mean of min(value, `cap`) —
   * what an empirical latency distribution says about an SLO and about waiting (a call is
   * abandoned at its timeout). One pass over the buckets; values read back at bucket accuracy (α).
   */
  static tailAcross(sketches: readonly DDSketch[], x: number, cap: number): { atMost: number; truncatedMean: number } | undefined {
    const live = sketches.filter((s) => s.total > 0);
    if (live.length === 0) return undefined;
    const first = live[0];
    const limit = x <= MIN_INDEXABLE ? -Infinity : Math.ceil(Math.log(x) / first.logGamma);
    let total = 0;
    let atMost = 0;
    let sum = 0;
    for (const s of live) {
      total += s.total;
      atMost += s.zeroCount;
      for (let i = 0; i < s.counts.length; i++) {
        const c = s.counts[i];
        if (!c) continue;
        const index = s.offset + i;
        if (index <= limit) atMost += c;
        sum += c * Math.min(cap, first.bucketValue(index));
      }
    }
    return { atMost: atMost / total, truncatedMean: sum / total };
  }

  /** Adds every count of `other` (same accuracy) into this sketch. */
  merge(other: DDSketch): void {
    if (other.relativeAccuracy !== this.relativeAccuracy) throw new RangeError('sketches with different accuracy cannot be merged');
    if (other.total === 0) return;
    this.total += other.total;
    this.sum += other.sum;
    this.zeroCount += other.zeroCount;
    this.minValue = Math.min(this.minValue, other.minValue);
    this.maxValue = Math.max(this.maxValue, other.maxValue);
    other.counts.forEach((c, i) => {
      if (c) this.addToBucket(other.offset + i, c);
    });
  }

  clear(): void {
    this.counts = [];
    this.offset = 0;
    this.zeroCount = 0;
    this.total = 0;
    this.sum = 0;
    this.minValue = Infinity;
    this.maxValue = -Infinity;
  }

  /**
   * What bucket `index` reads back as, 2γ^i/(γ+1). Reading a tail walks every bucket, and the
   * decision path reads one per decision (the arm that just learnt an outcome): the power is worked
   * out once per index and accuracy, with the same arithmetic, instead of once per bucket per read.
   */
  private bucketValue(index: number): number {
    const slot = index + VALUE_TABLE_HALF;
    if (slot < 0 || slot >= this.values.length) return (2 * Math.pow(this.gamma, index)) / (this.gamma + 1);
    let value = this.values[slot];
    // NaN marks a slot not computed yet (a real read-back value is never NaN).
    if (value !== value) {
      value = (2 * Math.pow(this.gamma, index)) / (this.gamma + 1);
      this.values[slot] = value;
    }
    return value;
  }

  private addToBucket(index: number, weight: number): void {
    if (this.counts.length === 0) {
      this.offset = index;
      this.counts.push(weight);
      return;
    }
    if (index < this.offset) {
      const grow = this.offset - index;
      if (this.counts.length + grow > this.maxBuckets) {
        // Collapsing the lowest buckets keeps the upper quantiles (P95/P99) exact to α.
        this.counts[0] += weight;
        return;
      }
      this.counts.unshift(...new Array<number>(grow).fill(0));
      this.offset = index;
    } else if (index >= this.offset + this.counts.length) {
      const needed = index - this.offset + 1;
      if (needed > this.maxBuckets) this.collapseLowest(needed - this.maxBuckets);
      while (this.offset + this.counts.length <= index) this.counts.push(0);
    }
    this.counts[index - this.offset] += weight;
  }

  private collapseLowest(n: number): void {
    const folded = this.counts.splice(0, n).reduce((a, b) => a + b, 0);
    this.offset += n;
    if (this.counts.length === 0) this.counts.push(0);
    this.counts[0] += folded;
  }
}

const MIN_INDEXABLE = 1e-9;

/** Bucket indices −2048…2047 are tabled: at 1 % accuracy, values from about 1e-18 to 1e17. */
const VALUE_TABLE_HALF = 2_048;
const VALUE_TABLES = new Map<number, Float64Array>();

function valueTable(gamma: number): Float64Array {
  let table = VALUE_TABLES.get(gamma);
  if (!table) {
    table = new Float64Array(2 * VALUE_TABLE_HALF).fill(NaN);
    VALUE_TABLES.set(gamma, table);
  }
  return table;
}
