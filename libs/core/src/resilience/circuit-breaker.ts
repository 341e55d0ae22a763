import type { AttemptOutcome } from '../outcome/attempt-outcome';
import type { BreakerConfig } from './resilience-config';
import { SlidingCounter } from './sliding-counter';

export type BreakerState = 'closed' | 'open' | 'half_open';

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
  private readonly window: SlidingCounter<'success' | 'failure'>;

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
    if (now < this.cooldownUntil) return `cooling down after 429 until ${iso(this.cooldownUntil)}`;
    return undefined;
  }

  /** Marks an attempt as started; returns whether it is a half-open probe. */
  acquire(): boolean {
    if (this.current !== 'half_open') return false;
    this.probesInFlight++;
    return true;
  }

  record(outcome: Pick<AttemptOutcome, 'kind' | 'countsAgainstArm' | 'retryAfterMs'>, now: number, probe = false): BreakerTransition | undefined {
    if (probe) this.probesInFlight = Math.max(0, this.probesInFlight - 1);
    switch (breakerVerdict(outcome)) {
      case 'success':
        return this.onSuccess(now);
      case 'failure':
        return this.onFailure(now);
      case 'cooldown': {
        const wait = Math.min(outcome.retryAfterMs ?? this.config.defaultCooldownMs, this.config.maxCooldownMs);
        this.cooldownUntil = Math.max(this.cooldownUntil, now + wait);
        return undefined;
      }
      case 'neutral':
        return undefined;
    }
  }

  snapshot(now: number): BreakerSnapshotFields {
    const failures = this.window.sum(now, 'failure');
    const calls = failures + this.window.sum(now, 'success');
    return {
      state: this.current,
      since: this.since,
      calls,
      failureRate: calls ? failures / calls : 0,
      consecutiveFailures: this.consecutive,
      openUntil: this.current === 'open' ? this.openUntil : undefined,
      coolingDownUntil: now < this.cooldownUntil ? this.cooldownUntil : undefined,
    };
  }

  private onSuccess(now: number): BreakerTransition | undefined {
    this.consecutive = 0;
    this.window.add(now, 'success');
    if (this.current !== 'half_open') return undefined;
    this.probeSuccesses++;
    if (this.probeSuccesses < this.config.halfOpenSuccessesToClose) return undefined;
    this.reopens = 0;
    this.window.clear();
    return this.moveTo('closed', `${this.probeSuccesses} probe successes`, now);
  }

  private onFailure(now: number): BreakerTransition | undefined {
    this.consecutive++;
    this.window.add(now, 'failure');
    if (this.current === 'half_open') {
      this.reopens++;
      return this.open(now, 'probe failed');
    }
    if (this.current === 'open') return undefined;
    if (this.consecutive >= this.config.consecutiveFailures) return this.open(now, `${this.consecutive} consecutive failures`);
    const failures = this.window.sum(now, 'failure');
    const calls = failures + this.window.sum(now, 'success');
    if (calls >= this.config.minimumCalls && failures / calls >= this.config.failureRateThreshold) {
      return this.open(now, `failure rate ${Math.round((100 * failures) / calls)}% of ${calls} calls in ${this.config.windowMs / 1000} s`);
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
    return { from, to, reason, at };
  }
}

export interface BreakerSnapshotFields {
  state: BreakerState;
  since: number;
  /** Calls counted in the sliding window (successes + failures; neutral outcomes excluded). */
  calls: number;
  failureRate: number;
  consecutiveFailures: number;
  openUntil?: number;
  coolingDownUntil?: number;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
