import type { Clock } from '../ports/clock';
import type { RouteRequest } from './route-request';
import type { ArmConfig } from './arm';

export interface SelectionContext {
  request: RouteRequest;
  /** Arms already attempted for this request, in order. */
  tried: readonly string[];
  clock: Clock;
}

/** What one candidate scored; policies fill what they compute (traces print it as is). */
export interface CandidateScore {
  arm: string;
  utility?: number;
  sampledSuccess?: number;
  sampledLatencyMs?: number;
  expectedCostUsd?: number;
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
  exploration: boolean;
}

/** Picks one arm among eligible ones. `eligible` is never empty. */
export interface ArmSelector {
  readonly name: string;
  select(ctx: SelectionContext, eligible: readonly ArmConfig[]): Omit<Decision, 'excluded'>;
}
