import type { ArmConfig } from './arm';
import type { ExcludedArm } from './arm-selector';
import type { RouteRequest } from './route-request';
import { estimatePromptTokens } from './token-estimate';

export interface EligibilityContext {
  request: RouteRequest;
  promptTokens: number;
  tried: ReadonlySet<string>;
  now: number;
}

/** Returns why `arm` cannot serve this request now, or undefined when it can. */
export type EligibilityRule = (arm: ArmConfig, ctx: EligibilityContext) => string | undefined;

export const NOT_IN_REQUEST_MODELS = 'not in request routing.models';
const CLASS_PREFIX = 'does not serve class';

export const allowedByRequest: EligibilityRule = (arm, { request }) => {
  const allowed = request.routing.models;
  if (!allowed || allowed.includes(arm.id) || allowed.includes(arm.model)) return undefined;
  return NOT_IN_REQUEST_MODELS;
};

export const suitsClass: EligibilityRule = (arm, { request }) =>
  arm.classes.length === 0 || arm.classes.includes(request.class) ? undefined : `${CLASS_PREFIX} "${request.class}"`;

/** Exclusions that say the arm was never a candidate for this request (not that it is unhealthy). */
export function isRequestScopeExclusion(reason: string): boolean {
  return reason === NOT_IN_REQUEST_MODELS || reason.startsWith(CLASS_PREFIX);
}

export const fitsContextWindow: EligibilityRule = (arm, { request, promptTokens }) => {
  const output = Math.min(request.params.maxTokens ?? 0, arm.maxOutputTokens);
  const needed = promptTokens + output;
  return needed <= arm.contextWindow ? undefined : `context window ${arm.contextWindow} < ~${needed} tokens needed`;
};

/**
 * A request asking for more output tokens than an arm can produce would get a 400 from that
 * provider; the arm is skipped instead, with the reason in the decision.
 */
export const fitsMaxOutput: EligibilityRule = (arm, { request }) => {
  const asked = request.params.maxTokens;
  return asked === undefined || asked <= arm.maxOutputTokens ? undefined : `max output ${arm.maxOutputTokens} tokens < requested maxTokens ${asked}`;
};

export const ALREADY_ATTEMPTED = 'already attempted for this request';

/** Exclusion reasons of the quality floor start with this (the router then fails with quality_unavailable). */
export const BELOW_QUALITY_FLOOR = 'quality below the class minQuality';

export const notTriedYet: EligibilityRule = (arm, { tried }) => (tried.has(arm.id) ? ALREADY_ATTEMPTED : undefined);

export const DEFAULT_RULES: readonly EligibilityRule[] = [allowedByRequest, suitsClass, fitsMaxOutput, fitsContextWindow, notTriedYet];

export interface Eligibility {
  eligible: ArmConfig[];
  excluded: ExcludedArm[];
}

/** Applies the rules in order; an arm is excluded by the first rule that refuses it. */
export function checkEligibility(
  arms: readonly ArmConfig[],
  ctx: EligibilityContext,
  rules: readonly EligibilityRule[] = DEFAULT_RULES,
): Eligibility {
  const eligible: ArmConfig[] = [];
  const excluded: ExcludedArm[] = [];
  for (const arm of arms) {
    let reason: string | undefined;
    for (const rule of rules) {
      reason = rule(arm, ctx);
      if (reason) break;
    }
    if (reason) excluded.push({ arm: arm.id, reason });
    else eligible.push(arm);
  }
  return { eligible, excluded };
}

export { estimatePromptTokens };
