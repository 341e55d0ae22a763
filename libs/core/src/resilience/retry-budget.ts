import type { Clock } from '../ports/clock';
import type { RetryBudgetConfig } from './resilience-config';
import { SlidingCounter } from './sliding-counter';

const OVERALL = '*';
const SECOND_MS = 1_000;

/** Where one retry's allowance came from: the per-second floor, or the ratio of first attempts. */
type Charge = 'floor' | 'ratio';

interface Counters {
  /** First attempts and ratio-charged retries over the window. */
  window: SlidingCounter<'first' | 'ratio'>;
  /** Floor-charged retries in the current second. */
  second: SlidingCounter<'floor'>;
}

/**
 * Caps retries so that they cannot multiply the load on a struggling provider (a retry storm),
 * the way Finagle's RetryBudget does: a floor of `minRetriesPerSecond` retries every second, on
 * top of `ratio` × the first attempts of the sliding window. A retry spends the floor first (so a
 * quiet router, or one after a burst, can still retry a single request), then the ratio. Per arm
 * and overall; when either is spent the router stops retrying and only falls back. Hedged second
 * attempts and waits for a 429 cooldown spend it too.
 */
export class RetryBudget {
  private readonly counters = new Map<string, Counters>();

  constructor(
    private readonly clock: Clock,
    private readonly config: RetryBudgetConfig,
  ) {}

  recordFirstAttempt(arm: string): void {
    const now = this.clock.now();
    this.counter(arm).window.add(now, 'first');
    this.counter(OVERALL).window.add(now, 'first');
  }

  canRetry(arm: string): boolean {
    return this.headroom(arm) >= 1;
  }

  recordRetry(arm: string): void {
    const now = this.clock.now();
    for (const key of [arm, OVERALL]) {
      const c = this.counter(key);
      if (this.charge(c, now) === 'floor') c.second.add(now, 'floor');
      else c.window.add(now, 'ratio');
    }
  }

  /** Retries still allowed right now for `arm` (the smaller of its own and the overall room). */
  headroom(arm: string): number {
    const now = this.clock.now();
    return Math.min(this.room(this.counter(arm), now), this.room(this.counter(OVERALL), now));
  }

  private charge(c: Counters, now: number): Charge {
    return this.floorRoom(c, now) >= 1 ? 'floor' : 'ratio';
  }

  private room(c: Counters, now: number): number {
    return Math.floor(this.floorRoom(c, now)) + Math.max(0, Math.floor(this.ratioRoom(c, now)));
  }

  private floorRoom(c: Counters, now: number): number {
    return Math.max(0, this.config.minRetriesPerSecond - c.second.sum(now, 'floor'));
  }

  private ratioRoom(c: Counters, now: number): number {
    return this.config.ratio * c.window.sum(now, 'first') - c.window.sum(now, 'ratio');
  }

  private counter(key: string): Counters {
    let c = this.counters.get(key);
    if (!c) {
      c = { window: new SlidingCounter(this.config.bucketMs, this.config.windowMs), second: new SlidingCounter(SECOND_MS, SECOND_MS) };
      this.counters.set(key, c);
    }
    return c;
  }
}
