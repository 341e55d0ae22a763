import type { RouterEvents } from '../events/router-events';
import type { AttemptOutcome } from '../outcome/attempt-outcome';
import type { Clock } from '../ports/clock';
import type { EligibilityRule } from '../routing/eligibility';
import type { ArmStateHolder } from '../routing/arm-reload';
import type { ArmConfig } from '../routing/arm';
import { outcomeTime } from '../stats/outcome-time';
import { CircuitBreaker, COOLING_DOWN, type BreakerSnapshotFields, type BreakerTransition } from './circuit-breaker';
import type { BreakerConfig } from './resilience-config';
import { DEFAULT_RESILIENCE } from './resilience-config';

export interface BreakerSnapshot extends BreakerSnapshotFields {
  arm: string;
}

/** Proof that an attempt was let through; hand it back with the outcome. */
export interface BreakerPermit {
  arm: string;
  probe: boolean;
}

export interface BreakerRegistryOptions {
  clock: Clock;
  config?: Partial<BreakerConfig>;
  /** Receives `breaker.transition` events. */
  events?: RouterEvents;
}

/**
 * One circuit breaker per arm, created on first use. The router asks it for eligibility
 * (`eligibilityRule`), takes a permit before each attempt and records each outcome; health
 * endpoints read `snapshot()`.
 */
export class BreakerRegistry implements ArmStateHolder {
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly config: BreakerConfig;
  /** The arms of the routing table serving now, once known: outcomes of other arms are ignored. */
  private current?: ReadonlySet<string>;

  constructor(private readonly options: BreakerRegistryOptions) {
    this.config = { ...DEFAULT_RESILIENCE.breaker, ...options.config };
  }

  /** Excludes arms whose breaker is open, whose half-open probes are all out, or that cool down after a 429. */
  readonly eligibilityRule: EligibilityRule = (arm, { now, request }) => {
    const breaker = this.breaker(arm.id);
    this.emit(arm.id, breaker.observe(now), request.id);
    return breaker.blockedReason(now);
  };

  acquire(arm: string): BreakerPermit {
    const breaker = this.breaker(arm);
    this.emit(arm, breaker.observe(this.options.clock.now()));
    return { arm, probe: breaker.acquire() };
  }

  /**
   * Records an outcome of this process's own call, at the time it happened. Returns the
   * transition the outcome caused, if any.
   */
  record(outcome: AttemptOutcome, permit?: BreakerPermit, requestId?: string): BreakerTransition | undefined {
    return this.apply(outcome, permit?.probe ?? false, true, requestId);
  }

  /**
   * Records an outcome another replica broadcast (or the start-up replay of the outcomes topic):
   * at the time it happened, so one older than the breaker window counts for nothing; never a
   * probe, and not one of this process's `calls`.
   */
  recordShared(outcome: AttemptOutcome): BreakerTransition | undefined {
    return this.apply(outcome, false, false);
  }

  private apply(outcome: AttemptOutcome, probe: boolean, own: boolean, requestId?: string): BreakerTransition | undefined {
    if (this.current && !this.current.has(outcome.arm)) return undefined;
    const now = this.options.clock.now();
    const breaker = this.breaker(outcome.arm);
    this.emit(outcome.arm, breaker.observe(now), requestId);
    const transition = breaker.record(outcome, now, probe, outcomeTime(outcome, now), own);
    this.emit(outcome.arm, transition, requestId);
    return transition;
  }

  /**
   * The arms of the routing table serving now (at start and after every reload): only their
   * breakers are reported, and outcomes of other arms (replayed from an earlier table) are ignored.
   */
  updateArms(arms: readonly Pick<ArmConfig, 'id'>[]): void {
    this.current = new Set(arms.map((a) => a.id));
  }

  snapshot(): BreakerSnapshot[] {
    const now = this.options.clock.now();
    return [...this.breakers].filter(([arm]) => !this.current || this.current.has(arm)).map(([arm, breaker]) => {
      this.emit(arm, breaker.observe(now));
      return { arm, ...breaker.snapshot(now) };
    });
  }

  stateOf(arm: string): BreakerSnapshot {
    const now = this.options.clock.now();
    const breaker = this.breaker(arm);
    this.emit(arm, breaker.observe(now));
    return { arm, ...breaker.snapshot(now) };
  }

  /** True while the arm's breaker is half-open (it waits for probes; an eligible arm has a probe slot free). */
  readonly halfOpen = (arm: string): boolean => {
    const breaker = this.breakers.get(arm);
    if (!breaker) return false;
    this.emit(arm, breaker.observe(this.options.clock.now()));
    return breaker.state === 'half_open';
  };

  /** Drops an arm's breaker (removed from the routing table, or another model now): it starts closed again. */
  forgetArm(arm: string): void {
    this.breakers.delete(arm);
  }

  private breaker(arm: string): CircuitBreaker {
    let breaker = this.breakers.get(arm);
    if (!breaker) {
      breaker = new CircuitBreaker(this.config, this.options.clock.now());
      this.breakers.set(arm, breaker);
    }
    return breaker;
  }

  private emit(arm: string, transition: BreakerTransition | undefined, requestId?: string): void {
    if (!transition) return;
    this.options.events?.emit({ type: 'breaker.transition', arm, ...transition, requestId });
  }
}

/** True for the exclusion reasons of an open (or half-open, probe out) breaker. */
export function isBreakerExclusion(reason: string): boolean {
  return reason.startsWith('circuit ');
}

/** True for the exclusion reason of a 429 cooldown (not a breaker failure: the request may wait for it). */
export function isCooldownExclusion(reason: string): boolean {
  return reason.startsWith(COOLING_DOWN);
}
