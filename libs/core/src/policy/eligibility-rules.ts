import { BELOW_QUALITY_FLOOR, type EligibilityRule } from '../routing/eligibility';
import type { ArmLearner } from './arm-learner';
import { formatUsd } from './format';
import type { ValueScorer } from './value-scorer';

/**
 * An eligibility rule for the router: excludes arms whose expected cost exceeds the request's
 * `maxCostUsd`, so the exclusion (and its reason) shows in the decision and the failure message.
 */
export function maxCostRule(scorer: ValueScorer): EligibilityRule {
  return (arm, ctx) => {
    const max = ctx.request.routing.maxCostUsd;
    if (max === undefined) return undefined;
    const expected = scorer.expectedCostUsd(arm, ctx.request, ctx.promptTokens);
    return expected > max ? `expected cost ${formatUsd(expected)} > maxCostUsd ${formatUsd(max)}` : undefined;
  };
}

/**
 * An eligibility rule for the class quality floor: an arm whose P(acceptable) lower credible
 * bound (≈ 84 %, one-sided) is under the class's minQuality does not serve it. A floor is a
 * promise about answers, so it is judged on what the policy is fairly sure of, not on a draw.
 * `floors` is read on every call: a reload replaces them.
 */
export function qualityFloorRule(learner: ArmLearner, floors: () => Readonly<Record<string, number>> | undefined): EligibilityRule {
  return (arm, ctx) => {
    const floor = floors()?.[ctx.request.class];
    if (floor === undefined) return undefined;
    const state = learner.stateFor(arm.id, arm);
    const bound = (learner.knownClassPosterior(state, ctx.request.class) ?? state.global).quality.lowerBound(1);
    return bound < floor ? `${BELOW_QUALITY_FLOOR}: ${bound.toFixed(2)} < ${floor}` : undefined;
  };
}
