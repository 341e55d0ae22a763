import type { ArmConfig } from '../../routing/arm';
import type { RouteRequest } from '../../routing/route-request';
import { estimatePromptTokens } from '../../routing/token-estimate';
import { normalCdf, Z95 } from '../../stats/sampler';
import { expectedNetValue } from '../../value/net-value';
import type { ThompsonSelector } from '../thompson-selector';

/**
 * The arm a decision of `selector` would choose with no sampling at all: the highest expected net
 * value at the posterior means (the exploitation choice). A decision that picks another arm — by a
 * Thompson draw or the exploration floor — explores; bench:policy counts those. Draws no random
 * numbers, so asking does not change the decisions that follow.
 */
export function posteriorMeanChoice(selector: ThompsonSelector, request: RouteRequest, eligible: readonly ArmConfig[]): string | undefined {
  const { learner, scorer } = selector;
  const value = selector.valueFor(request);
  const costWeight = selector.costWeightFor(request);
  const slo = request.routing.latencySloMs;
  const promptTokens = estimatePromptTokens(request.messages);
  let best: string | undefined;
  let bestValue = -Infinity;
  for (const arm of eligible) {
    const state = learner.stateFor(arm.id, arm);
    const posterior = learner.posteriorFor(state, request.class);
    const cost = scorer.expectedCost(arm, posterior, promptTokens, request.params.maxTokens);
    if (request.routing.maxCostUsd !== undefined && cost > request.routing.maxCostUsd) continue;
    const point = posterior.latency.pointEstimate();
    const sigma = Math.max(1e-3, Math.log(point.p95Ms / point.medianMs) / Z95);
    let withinSlo = slo !== undefined && slo > 0 ? normalCdf((Math.log(slo) - Math.log(point.medianMs)) / sigma) : 1;
    let latencyMs = posterior.latency.pointMeanMs(arm.timeouts.totalMs);
    const empirical = scorer.empirical(state, slo, arm.timeouts.totalMs);
    if (empirical) {
      withinSlo = empirical.weight * empirical.atMost + (1 - empirical.weight) * withinSlo;
      latencyMs = empirical.weight * empirical.truncatedMean + (1 - empirical.weight) * latencyMs;
    }
    const u = expectedNetValue({ pGood: posterior.success.mean * withinSlo * posterior.quality.mean, expectedCostUsd: cost, expectedLatencyMs: latencyMs }, value, costWeight);
    if (u > bestValue) {
      bestValue = u;
      best = arm.id;
    }
  }
  return best;
}
