/**
 * Decisions per arm over a sliding window (default one minute, 60 buckets of 1 s), for the
 * "share of selections over the last minute" in /health/routing when the policy does not report it.
 * Memory is bounded by arms × buckets.
 */
export class SelectionWindow {
  private readonly buckets: number;
  /** arm → ring of counts; `stamps[i]` is the bucket number (time / bucketMs) slot i holds. */
  private readonly counts = new Map<string, number[]>();
  private readonly stamps: number[];

  constructor(
    private readonly windowMs = 60_000,
    private readonly bucketMs = 1_000,
  ) {
    this.buckets = Math.max(1, Math.ceil(windowMs / bucketMs));
    this.stamps = new Array<number>(this.buckets).fill(-1);
  }

  record(arm: string, now: number): void {
    const slot = this.advance(now);
    let ring = this.counts.get(arm);
    if (!ring) {
      ring = new Array<number>(this.buckets).fill(0);
      this.counts.set(arm, ring);
    }
    ring[slot]++;
  }

  /** Selections per arm within the window ending at `now`. */
  selections(now: number): Map<string, number> {
    this.advance(now);
    const out = new Map<string, number>();
    for (const [arm, ring] of this.counts) out.set(arm, ring.reduce((a, b) => a + b, 0));
    return out;
  }

  /** Per arm: selections in the window and their share of all selections (0 when there were none). */
  shares(now: number): Map<string, { selections: number; share: number }> {
    const counts = this.selections(now);
    let total = 0;
    for (const n of counts.values()) total += n;
    const out = new Map<string, { selections: number; share: number }>();
    for (const [arm, n] of counts) out.set(arm, { selections: n, share: total ? n / total : 0 });
    return out;
  }

  /** Clears the buckets that fell out of the window; returns the slot for `now`. */
  private advance(now: number): number {
    const bucket = Math.floor(now / this.bucketMs);
    const slot = ((bucket % this.buckets) + this.buckets) % this.buckets;
    for (let i = 0; i < this.buckets; i++) {
      const stamp = this.stamps[i];
      if (stamp === -1 || stamp > bucket - this.buckets) continue;
      this.stamps[i] = -1;
      for (const ring of this.counts.values()) ring[i] = 0;
    }
    if (this.stamps[slot] !== bucket) {
      for (const ring of this.counts.values()) ring[slot] = 0;
      this.stamps[slot] = bucket;
    }
    return slot;
  }
}
