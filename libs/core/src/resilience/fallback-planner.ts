import type { AttemptOutcome } from '../outcome/attempt-outcome';
import type { ChatMessage } from '../ports/provider';
import type { ArmConfig } from '../routing/arm';
import type { EligibilityRule } from '../routing/eligibility';
import type { RouteRequest } from '../routing/route-request';
import type { FallbackConfig } from './resilience-config';

/**
 * What one request's failures have taught about which arms may still serve it: after a
 * `context_overflow` only larger windows, after a `content_policy` only the same policy group.
 */
export class FallbackConstraints {
  private windowAbove = 0;
  private policyGroup?: string;

  readonly rule: EligibilityRule = (arm) => {
    if (arm.contextWindow <= this.windowAbove) return `context window ${arm.contextWindow} not larger than the ${this.windowAbove} that overflowed`;
    if (this.policyGroup !== undefined && arm.policyGroup !== this.policyGroup) return `outside policy group "${this.policyGroup}" (content-policy fallback)`;
    return undefined;
  };

  requireLargerWindowThan(window: number): void {
    this.windowAbove = Math.max(this.windowAbove, window);
  }

  requirePolicyGroup(group: string): void {
    this.policyGroup = group;
  }
}

export type FallbackPlan =
  | { action: 'fallback'; reason: string }
  | { action: 'rewrite'; messages: ChatMessage[]; reason: string }
  | { action: 'none'; reason: string };

/** Decides, per failure kind, whether and where a request may move after a failed attempt. */
export class FallbackPlanner {
  constructor(private readonly config: FallbackConfig) {}

  plan(
    outcome: AttemptOutcome,
    arm: ArmConfig,
    request: RouteRequest,
    state: { constraints: FallbackConstraints; messages: readonly ChatMessage[]; rewritten: boolean },
  ): FallbackPlan {
    const kind = outcome.kind;
    if (kind === 'ok') return { action: 'none', reason: 'nothing to fall back from' };
    if (kind !== 'cancelled' && this.config.noFallbackOn.includes(kind)) return { action: 'none', reason: `no fallback after ${kind}` };
    if (kind === 'context_overflow') {
      state.constraints.requireLargerWindowThan(arm.contextWindow);
      return { action: 'fallback', reason: `context_overflow on a ${arm.contextWindow}-token window: larger windows only` };
    }
    if (kind === 'content_policy') return this.contentPolicy(arm, request, state);
    return { action: 'fallback', reason: kind };
  }

  private contentPolicy(
    arm: ArmConfig,
    request: RouteRequest,
    state: { constraints: FallbackConstraints; messages: readonly ChatMessage[]; rewritten: boolean },
  ): FallbackPlan {
    const enabled = request.routing.contentPolicyFallback ?? this.config.contentPolicy.enabled;
    if (!enabled) return { action: 'none', reason: 'content-policy fallback is off (routing.contentPolicyFallback)' };
    const rewrite = this.config.contentPolicy.rewrite;
    if (rewrite && !state.rewritten) return { action: 'rewrite', messages: rewrite(state.messages), reason: 'content_policy: prompt rewritten, same arm' };
    state.constraints.requirePolicyGroup(arm.policyGroup);
    return { action: 'fallback', reason: `content_policy: policy group "${arm.policyGroup}" only` };
  }
}
