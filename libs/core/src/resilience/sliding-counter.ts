interface Bucket<K extends string> {
  index: number;
  counts: Partial<Record<K, number>>;
}

/**
 * Counts events in a time window made of fixed buckets (e.g. 30 × 1 s). Old buckets fall out as
 * time moves on; memory is bounded by the bucket count. Time is passed in, never read. An event
 * may be added at a past time (an outcome replayed from the outcomes topic): it lands in the
 * bucket of its own time, or nowhere once that time has left the window.
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

  /** Counts `n` events of `key` that happened at `at` (default: now); false when `at` is outside the window. */
  add(now: number, key: K, n = 1, at = now): boolean {
    const current = Math.floor(now / this.bucketMs);
    this.evict(current);
    const index = Math.min(current, Math.floor(at / this.bucketMs));
    if (index < current - this.bucketCount + 1) return false;
    let i = this.buckets.length;
    while (i > 0 && this.buckets[i - 1].index > index) i--;
    let bucket = this.buckets[i - 1];
    if (!bucket || bucket.index !== index) {
      bucket = { index, counts: {} };
      this.buckets.splice(i, 0, bucket);
    }
    bucket.counts[key] = (bucket.counts[key] ?? 0) + n;
    return true;
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
