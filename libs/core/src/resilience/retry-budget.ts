import type { Clock } from '../ports/clock';
import type { RetryBudgetConfig } from './resilience-config';
import { SlidingCounter } from './sliding-counter';

const OVERALL = '*';

/**
 * Caps retries at a share of first attempts over a sliding window, per arm and overall, so that
 * retries cannot multiply the load on a struggling provider (a retry storm). When the budget is
 * spent the router stops retrying and only falls back. Hedged second attempts spend it too.
 */
export class RetryBudget {
  private readonly counters = new Map<string, SlidingCounter<'first' | 'retry'>>();

  constructor(
    private readonly clock: Clock,
    private readonly config: RetryBudgetConfig,
  ) {}

  recordFirstAttempt(arm: string): void {
    this.counter(arm).add(this.clock.now(), 'first');
    this.counter(OVERALL).add(this.clock.now(), 'first');
  }

  canRetry(arm: string): boolean {
    return this.hasRoom(arm) && this.hasRoom(OVERALL);
  }

  recordRetry(arm: string): void {
    this.counter(arm).add(this.clock.now(), 'retry');
    this.counter(OVERALL).add(this.clock.now(), 'retry');
  }

  /** Retries still allowed right now for `arm` (the smaller of its own and the overall room). */
  headroom(arm: string): number {
    return Math.min(this.room(arm), this.room(OVERALL));
  }

  private hasRoom(key: string): boolean {
    return this.room(key) >= 1;
  }

  private room(key: string): number {
    const c = this.counter(key);
    const now = this.clock.now();
    const allowed = Math.max(this.config.minRetries, this.config.ratio * c.sum(now, 'first'));
    return Math.floor(allowed - c.sum(now, 'retry'));
  }

  private counter(key: string): SlidingCounter<'first' | 'retry'> {
    let c = this.counters.get(key);
    if (!c) {
      c = new SlidingCounter(this.config.bucketMs, this.config.windowMs);
      this.counters.set(key, c);
    }
    return c;
  }
}
