import type { Clock } from '../ports/clock';
import { DDSketch } from './dd-sketch';

/**
 * Quantiles over the recent past: two DDSketches (current and previous window) rotated on the
 * clock, read together, so a reading covers between one and two windows and an old regime drops
 * out after at most two windows.
 */
export class SlidingSketch {
  private current: DDSketch;
  private previous: DDSketch;
  private windowStart: number;

  constructor(
    private readonly clock: Clock,
    private readonly windowMs = 5 * 60_000,
    private readonly relativeAccuracy = 0.01,
  ) {
    this.current = new DDSketch({ relativeAccuracy });
    this.previous = new DDSketch({ relativeAccuracy });
    this.windowStart = clock.now();
  }

  /**
   * Adds a value observed at `at` (default now): into the window of its own time, or nowhere
   * once both windows held are past it (an old outcome replayed on start).
   */
  add(value: number, at?: number): void {
    this.rotate();
    if (at !== undefined && at < this.windowStart) {
      if (at < this.windowStart - this.windowMs) return;
      this.previous.add(value);
    } else {
      this.current.add(value);
    }
    this.version++;
  }

  quantile(q: number): number | undefined {
    this.rotate();
    return DDSketch.quantileAcross([this.previous, this.current], q);
  }

  /** Changes whenever a value is added or a window rotates: lets readers cache what they derive. */
  version = 0;

  /** Share of recent values ≤ `x` and their mean capped at `cap` (see DDSketch.tailAcross). */
  tail(x: number, cap: number): { atMost: number; truncatedMean: number } | undefined {
    this.rotate();
    return DDSketch.tailAcross([this.previous, this.current], x, cap);
  }

  get count(): number {
    this.rotate();
    return this.previous.count + this.current.count;
  }

  /** Forgets everything (a detected change point: the old regime says nothing about the new one). */
  clear(): void {
    this.previous.clear();
    this.current.clear();
    this.windowStart = this.clock.now();
    this.version++;
  }

  private rotate(): void {
    const now = this.clock.now();
    if (now < this.windowStart + this.windowMs) return;
    this.version++;
    if (now >= this.windowStart + 2 * this.windowMs) {
      this.previous.clear();
      this.current.clear();
      this.windowStart = now;
      return;
    }
    const old = this.previous;
    old.clear();
    this.previous = this.current;
    this.current = old;
    this.windowStart += this.windowMs;
  }
}
