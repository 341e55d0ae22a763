import type { Objective } from '../routing/route-request';

/**
 * What a caller declares an answer is worth, per request class (routing table) or per request
 * (`routing.valueUsd`, `routing.latencyUsdPerSecond`):
 * - `valueUsd`: what one acceptable answer within the latency SLO is worth;
 * - `latencyUsdPerSecond`: what each second of waiting costs the caller.
 */
export interface ValueParams {
  valueUsd: number;
  latencyUsdPerSecond: number;
}

/**
 * The named objectives are presets of the value parameters. Their scale is set against list
 * prices of late 2026: a 1k-token-in / 300-token-out request costs ≈ $0.0003 on a small hosted
 * model and ≈ $0.0075 on a frontier one, so
 * - `balanced` ($0.02 per good answer, $0.001 per second): a frontier model is worth its price when
 *   it is good noticeably more often (≈ 36 points of acceptability pay for the $0.0072 difference);
 * - `cheapest` ($0.002, $0.0001/s): price dominates unless the cheap arm is nearly useless;
 * - `fastest` ($0.02, $0.02/s): one second weighs as much as the gap between a small and a frontier price;
 * - `quality` ($1, $0.001/s): one point of acceptability outweighs any per-request price difference.
 */
export const OBJECTIVE_PRESETS: Readonly<Record<Objective, Readonly<ValueParams>>> = Object.freeze({
  balanced: Object.freeze({ valueUsd: 0.02, latencyUsdPerSecond: 0.001 }),
  cheapest: Object.freeze({ valueUsd: 0.002, latencyUsdPerSecond: 0.0001 }),
  fastest: Object.freeze({ valueUsd: 0.02, latencyUsdPerSecond: 0.02 }),
  quality: Object.freeze({ valueUsd: 1, latencyUsdPerSecond: 0.001 }),
});

/** Request over class over the objective's preset, field by field. */
export function resolveValue(objective: Objective, classValue?: Partial<ValueParams>, requestValue?: Partial<ValueParams>): ValueParams {
  const preset = OBJECTIVE_PRESETS[objective] ?? OBJECTIVE_PRESETS.balanced;
  return {
    valueUsd: requestValue?.valueUsd ?? classValue?.valueUsd ?? preset.valueUsd,
    latencyUsdPerSecond: requestValue?.latencyUsdPerSecond ?? classValue?.latencyUsdPerSecond ?? preset.latencyUsdPerSecond,
  };
}

/** What the router expects of one arm for one request. */
export interface ValueTerms {
  /** P(ok ∧ acceptable ∧ latency ≤ SLO). */
  pGood: number;
  expectedCostUsd: number;
  expectedLatencyMs: number;
}

/**
 * The one definition of value, used by the Thompson selector (on posterior draws), the simulator's
 * oracle (on the true state) and the benchmark (on what happened, see realisedNetValue):
 *
 *   net value = V · P(ok ∧ acceptable ∧ latency ≤ SLO) − E[cost] − latency cost
 *
 * `costWeight` (≥ 1) is the budget pacer's multiplier on cost; 1 outside the selector.
 */
export function expectedNetValue(terms: ValueTerms, value: ValueParams, costWeight = 1): number {
  return value.valueUsd * terms.pGood - costWeight * terms.expectedCostUsd - (value.latencyUsdPerSecond * terms.expectedLatencyMs) / 1000;
}

/** The same value for one request after the fact: V if its answer was good (ok, acceptable, within SLO), less what it cost in money and time. */
export function realisedNetValue(outcome: { good: boolean; costUsd: number; latencyMs: number }, value: ValueParams): number {
  return (outcome.good ? value.valueUsd : 0) - outcome.costUsd - (value.latencyUsdPerSecond * outcome.latencyMs) / 1000;
}
