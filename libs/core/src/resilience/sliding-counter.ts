interface Bucket<K extends string> {
  index: number;
  counts: Partial<Record<K, number>>;
}

/**
 * Counts events in a time window made of fixed buckets (e.g. 30 × 1 s). Old buckets fall out as
 * time moves on; memory is bounded by the bucket count. Time is passed in, never read.
 */
export class SlidingCounter<K extends string> {
  private buckets: Bucket<K>[] = [];
  private readonly bucketCount: number;

  constructor(
    private readonly bucketMs: number,
    windowMs: number,
  ) {
    this.bucketCount = Math.max(1, Math.ceil(windowMs / bucketMs));
  }

  add(now: number, key: K, n = 1): void {
    const index = Math.floor(now / this.bucketMs);
    this.evict(index);
    let bucket = this.buckets.at(-1);
    if (!bucket || bucket.index !== index) {
      bucket = { index, counts: {} };
      this.buckets.push(bucket);
    }
    bucket.counts[key] = (bucket.counts[key] ?? 0) + n;
  }

  sum(now: number, key: K): number {
    this.evict(Math.floor(now / this.bucketMs));
    let total = 0;
    for (const b of this.buckets) total += b.counts[key] ?? 0;
    return total;
  }

  clear(): void {
    this.buckets = [];
  }

  private evict(currentIndex: number): void {
    const oldest = currentIndex - this.bucketCount + 1;
    while (this.buckets.length && this.buckets[0].index < oldest) this.buckets.shift();
  }
}
