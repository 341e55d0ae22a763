import type { Objective } from '../routing/route-request';

/** How much one objective cares about success, latency and cost. */
export interface ObjectiveWeights {
  success: number;
  latency: number;
  cost: number;
}

/**
 * The utility a candidate arm scores from one posterior sample:
 *
 *   utility = w_s·ŝ − w_l·log2(P̂95 / L_ref) − k·w_c·log2(ĉ / c_ref)
 *
 *   ŝ     sampled P(ok and latency ≤ the request's SLO)
 *   P̂95   sampled P95 latency
 *   ĉ     expected cost per success = expected cost / ŝ
 *   L_ref the lowest posterior-mean P95 among the eligible arms (the fastest arm scores ≈ 0)
 *   c_ref the lowest expected cost among the eligible arms (the cheapest arm scores ≈ 0 at ŝ = 1)
 *   k     the budget pacer's cost weight for the tenant (1 … 5)
 *
 * Latency and cost are counted in doublings relative to the best eligible arm, so the scale of
 * prices or latencies does not matter, and utility is in units of success probability: under
 * `balanced`, twice the cost per success is worth 15 points of success probability; under
 * `cheapest`, 100 points; under `quality`, 1 point. Weights per objective are below; configuration
 * may override them.
 */
export const OBJECTIVE_WEIGHTS: Readonly<Record<Objective, ObjectiveWeights>> = Object.freeze({
  balanced: { success: 1, latency: 0.15, cost: 0.15 },
  cheapest: { success: 1, latency: 0.02, cost: 1 },
  fastest: { success: 1, latency: 1, cost: 0.02 },
  quality: { success: 1, latency: 0.01, cost: 0.01 },
});

/** Success below this is treated as this, so cost per success stays finite. */
export const MIN_SUCCESS = 1e-3;

export interface UtilityInput {
  success: number;
  p95Ms: number;
  latencyRefMs: number;
  costPerSuccessUsd: number;
  costRefUsd: number;
  costWeight: number;
}

export function utility(w: ObjectiveWeights, x: UtilityInput): number {
  return w.success * x.success - w.latency * Math.log2(x.p95Ms / x.latencyRefMs) - x.costWeight * w.cost * Math.log2(x.costPerSuccessUsd / x.costRefUsd);
}
