import type { AttemptOutcome } from '../outcome/attempt-outcome';
import type { BreakerConfig } from './resilience-config';
import { SlidingCounter } from './sliding-counter';

export type BreakerState = 'closed' | 'open' | 'half_open';

/** The exclusion reason of a 429 cooldown starts with this. */
export const COOLING_DOWN = 'cooling down after 429';

export interface BreakerTransition {
  from: BreakerState;
  to: BreakerState;
  reason: string;
  at: number;
}

/** What the breaker makes of one outcome. */
export type BreakerVerdict = 'success' | 'failure' | 'cooldown' | 'neutral';

/**
 * Client errors, budget, deadline and cancelled hedges say nothing about the arm's health
 * (`countsAgainstArm` false); a 429 is a cooldown, not a failure.
 */
export function breakerVerdict(outcome: Pick<AttemptOutcome, 'kind' | 'countsAgainstArm'>): BreakerVerdict {
  if (outcome.kind === 'ok') return 'success';
  if (outcome.kind === 'rate_limited') return 'cooldown';
  return outcome.countsAgainstArm ? 'failure' : 'neutral';
}

/**
 * One arm's circuit breaker: a time-based sliding window with a minimum volume, a consecutive
 * failure trip, an open time that doubles on every re-open, a half-open state that lets a few
 * probes through, and a 429 cooldown that blocks the arm without counting as a failure.
 * Time is passed in; `open → half_open` happens when time is next observed past `openUntil`.
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private since: number;
  private openUntil = 0;
  private reopens = 0;
  private consecutive = 0;
  private probeSuccesses = 0;
  private probesInFlight = 0;
  private cooldownUntil = 0;
  /** When the state last changed; undefined while the breaker has been closed since it was made. */
  private movedAt: number | undefined;
  private readonly window: SlidingCounter<'success' | 'failure' | 'own'>;

  constructor(
    private readonly config: BreakerConfig,
    now: number,
  ) {
    this.since = now;
    this.window = new SlidingCounter(config.bucketMs, config.windowMs);
  }

  /** Brings the state up to date with the time; returns the transition if one happened. */
  observe(now: number): BreakerTransition | undefined {
    if (this.current === 'open' && now >= this.openUntil) {
      this.probeSuccesses = 0;
      this.probesInFlight = 0;
      return this.moveTo('half_open', `open time over (${this.openUntil - this.since} ms)`, this.openUntil);
    }
    return undefined;
  }

  get state(): BreakerState {
    return this.current;
  }

  /** Why the arm may not be called now, or undefined. Call `observe(now)` first. */
  blockedReason(now: number): string | undefined {
    if (this.current === 'open') return `circuit open until ${iso(this.openUntil)}`;
    if (this.current === 'half_open' && this.probesInFlight >= this.config.halfOpenMaxProbes) return 'circuit half-open, probe in flight';
    if (now < this.cooldownUntil) return `${COOLING_DOWN} until ${iso(this.cooldownUntil)}`;
    return undefined;
  }

  /** Marks an attempt as started; returns whether it is a half-open probe. */
  acquire(): boolean {
    if (this.current !== 'half_open') return false;
    this.probesInFlight++;
    return true;
  }

  /**
   * Applies one outcome that happened at `at` (default now; earlier for an outcome replayed or
   * broadcast late). An outcome older than the window says nothing about the arm now, and one
   * from before the breaker's last transition was already answered for by it (the open, the
   * probes): both are dropped. A 429 cools the arm down from its own time. `own`: this
   * process made the call (`calls` in the snapshot counts only those).
   */
  record(outcome: Pick<AttemptOutcome, 'kind' | 'countsAgainstArm' | 'retryAfterMs'>, now: number, probe = false, at = now, own = true): BreakerTransition | undefined {
    if (probe) this.probesInFlight = Math.max(0, this.probesInFlight - 1);
    if (at <= now - this.config.windowMs) return undefined;
    const verdict = breakerVerdict(outcome);
    if (verdict === 'cooldown') {
      const wait = Math.min(outcome.retryAfterMs ?? this.config.defaultCooldownMs, this.config.maxCooldownMs);
      this.cooldownUntil = Math.max(this.cooldownUntil, at + wait);
      return undefined;
    }
    if (verdict === 'neutral') return undefined;
    if (this.movedAt !== undefined && at < this.movedAt) return undefined;
    this.window.add(now, verdict, 1, at);
    if (own) this.window.add(now, 'own', 1, at);
    return verdict === 'success' ? this.onSuccess(at) : this.onFailure(at, now);
  }

  snapshot(now: number): BreakerSnapshotFields {
    const failures = this.window.sum(now, 'failure');
    const observed = failures + this.window.sum(now, 'success');
    return {
      state: this.current,
      since: this.since,
      calls: this.window.sum(now, 'own'),
      observedCalls: observed,
      failureRate: observed ? failures / observed : 0,
      consecutiveFailures: this.consecutive,
      openUntil: this.current === 'open' ? this.openUntil : undefined,
      coolingDownUntil: now < this.cooldownUntil ? this.cooldownUntil : undefined,
    };
  }

  private onSuccess(now: number): BreakerTransition | undefined {
    this.consecutive = 0;
    if (this.current !== 'half_open') return undefined;
    this.probeSuccesses++;
    if (this.probeSuccesses < this.config.halfOpenSuccessesToClose) return undefined;
    this.reopens = 0;
    this.window.clear();
    return this.moveTo('closed', `${this.probeSuccesses} probe successes`, now);
  }

  /** `at`: when the failure happened (the open time runs from then); `now`: what the window is read at. */
  private onFailure(at: number, now: number): BreakerTransition | undefined {
    this.consecutive++;
    if (this.current === 'half_open') {
      this.reopens++;
      return this.open(at, 'probe failed');
    }
    if (this.current === 'open') return undefined;
    if (this.consecutive >= this.config.consecutiveFailures) return this.open(at, `${this.consecutive} consecutive failures`);
    const failures = this.window.sum(now, 'failure');
    const calls = failures + this.window.sum(now, 'success');
    if (calls >= this.config.minimumCalls && failures / calls >= this.config.failureRateThreshold) {
      return this.open(at, `failure rate ${Math.round((100 * failures) / calls)}% of ${calls} calls in ${this.config.windowMs / 1000} s`);
    }
    return undefined;
  }

  private open(now: number, reason: string): BreakerTransition {
    const openMs = Math.min(this.config.openMaxMs, this.config.openBaseMs * 2 ** this.reopens);
    this.openUntil = now + openMs;
    return this.moveTo('open', `${reason}; open for ${openMs} ms`, now);
  }

  private moveTo(to: BreakerState, reason: string, at: number): BreakerTransition {
    const from = this.current;
    this.current = to;
    this.since = at;
    this.movedAt = at;
    return { from, to, reason, at };
  }
}

export interface BreakerSnapshotFields {
  state: BreakerState;
  since: number;
  /** This process's own calls in the sliding window (successes + failures; neutral outcomes excluded). */
  calls: number;
  /** Every call the window judges: this process's and the ones other replicas broadcast (and the start-up replay). */
  observedCalls: number;
  /** Failures / observedCalls. */
  failureRate: number;
  consecutiveFailures: number;
  openUntil?: number;
  coolingDownUntil?: number;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
