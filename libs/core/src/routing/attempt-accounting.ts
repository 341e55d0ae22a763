import type { BudgetGuard, BudgetRefusal, BudgetReservation } from '../budget/budget-guard';
import type { AttemptOutcome, AttemptRole, OutcomeSink } from '../outcome/attempt-outcome';
import type { BreakerPermit, BreakerRegistry } from '../resilience/breaker-registry';
import type { CredentialHealth } from '../resilience/credential-health';
import type { ArmRateLimiter } from '../resilience/rate-limiter';
import type { RetryBudget } from '../resilience/retry-budget';
import type { ArmConfig } from './arm';
import type { RouteRequest } from './route-request';

export interface AttemptAccountingOptions {
  credentials: CredentialHealth;
  retryBudget: RetryBudget;
  rateLimits: ArmRateLimiter;
  breakers: BreakerRegistry;
  budget?: BudgetGuard;
  outcomeSinks: readonly OutcomeSink[];
}

/** What an attempt holds while it runs: its rate-limit tokens and breaker permit. */
export interface Capacity {
  estimatedTokens: number;
  permit: BreakerPermit;
}

/**
 * The bookkeeping around each provider call: credentials probe, retry budget, budget reservation
 * and settlement, rate-limit tokens, breaker permit, and the outcome learnt by breakers,
 * credentials and the outcome sinks (the posterior). Methods hand back the stores' own promises,
 * never wrap them: virtual-clock tests and the policy bench count microtask turns.
 */
export class AttemptAccounting {
  constructor(private readonly options: AttemptAccountingOptions) {}

  /** Before any await: a refused arm lets exactly one request through as its probe. */
  begin(arm: ArmConfig, role: AttemptRole): void {
    const { credentials, retryBudget } = this.options;
    credentials.acquire(arm.id);
    if (role === 'first' || role === 'fallback') retryBudget.recordFirstAttempt(arm.id);
    if (role === 'retry' || role === 'hedge') retryBudget.recordRetry(arm.id);
  }

  /** The budget reservation of the call's maximum cost; undefined (nothing to await) without a budget. */
  reserve(request: RouteRequest, arm: ArmConfig, promptTokens: number): Promise<BudgetReservation | BudgetRefusal> | undefined {
    return this.options.budget?.reserve(request, arm, promptTokens);
  }

  take(arm: ArmConfig, promptTokens: number, maxTokens: number | undefined): Capacity {
    const estimatedTokens = this.options.rateLimits.acquire(arm, promptTokens, maxTokens);
    return { estimatedTokens, permit: this.options.breakers.acquire(arm.id) };
  }

  settleTokens(arm: ArmConfig, capacity: Capacity, outcome: AttemptOutcome): void {
    if (capacity.estimatedTokens) this.options.rateLimits.settle(arm.id, capacity.estimatedTokens, outcome.usage.inputTokens + outcome.usage.outputTokens);
  }

  /** Settles whatever the call cost (a length-cut answer still costs); releases when it cost nothing. */
  settleBudget(reservation: BudgetReservation, costUsd: number): Promise<void> {
    return costUsd > 0 ? this.options.budget!.settle(reservation, costUsd) : this.options.budget!.release(reservation);
  }

  /** The outcome learnt by the breaker, the credentials watch and the outcome sinks. */
  learn(outcome: AttemptOutcome, capacity: Capacity, request: RouteRequest): void {
    const sinks = this.options.outcomeSinks;
    const transition = this.options.breakers.record(outcome, capacity.permit, request.id);
    this.options.credentials.record(outcome);
    if (outcome.kind !== 'cancelled') for (const sink of sinks) sink.record(outcome, request.class);
    if (transition?.to === 'closed') for (const sink of sinks) sink.armRecovered?.(outcome.arm);
  }

  /** A call reported as hung answered after all: the early failure was wrong, take it back. */
  retractHung(arm: ArmConfig, requestClass: string): void {
    for (const sink of this.options.outcomeSinks) sink.retractHung?.(arm.id, requestClass);
  }
}
