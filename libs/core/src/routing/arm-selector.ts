import type { ValueParams } from '../value/net-value';
import type { Clock } from '../ports/clock';
import type { RouteRequest } from './route-request';
import type { ArmConfig } from './arm';
import type { BreakerState } from '../resilience/circuit-breaker';

export interface SelectionContext {
  request: RouteRequest;
  /** Arms already attempted for this request, in order. */
  tried: readonly string[];
  clock: Clock;
}

/** What one candidate scored; policies fill what they compute (traces print it as is). */
export interface CandidateScore {
  arm: string;
  /** The score the arm was chosen by; for the adaptive policy, its expected net value in USD. */
  utility?: number;
  /** Sampled P(ok ∧ latency ≤ SLO). */
  sampledSuccess?: number;
  /** Sampled P(acceptable | ok). */
  sampledQuality?: number;
  sampledLatencyMs?: number;
  expectedCostUsd?: number;
  /** Latency cost of the expected latency, USD. */
  latencyCostUsd?: number;
  /** The arm's circuit breaker when the decision was made (filled by the router for every candidate). */
  breaker?: BreakerState;
}

export interface ExcludedArm {
  arm: string;
  reason: string;
}

/** A routing decision as data: tracing, health and tests read it. */
export interface Decision {
  chosen: ArmConfig;
  candidates: CandidateScore[];
  excluded: ExcludedArm[];
  reason: string;
  /** The chosen arm is not the best-scoring one (an exploration draw, or a probe of another arm). */
  exploration: boolean;
  /** The chosen arm was picked because its breaker is half-open and lets one probe call through. */
  probe?: boolean;
  /** The value parameters the candidates were scored with (adaptive policy and oracle). */
  value?: ValueParams;
}

/** Picks one arm among eligible ones. `eligible` is never empty. */
export interface ArmSelector {
  readonly name: string;
  select(ctx: SelectionContext, eligible: readonly ArmConfig[]): Omit<Decision, 'excluded'>;
}
