import type { BudgetGuard } from '../budget/budget-guard';
import type { Clock } from '../ports/clock';
import type { ProviderRegistry } from '../ports/provider';
import type { ArmConfig } from '../routing/arm';
import type { RouteRequest } from '../routing/route-request';
import { sideCall } from '../routing/side-call';
import { JUDGE_MAX_TOKENS, judgedSame, judgeMessages, type CacheVerifier } from './cache-judge';

export interface JudgeDeps {
  clock: Clock;
  providers: ProviderRegistry;
  budget?: BudgetGuard;
  /** The routing table's arms now (the judge is named by arm id). */
  arms: () => readonly ArmConfig[];
}

/**
 * The verifier for one request: the judge arm called once per candidate hit, within the arm's total
 * timeout, its cost reserved against the request's tenant budget before the call and settled after,
 * like an attempt's (routing/side-call.ts). A refused reservation, an error or a timeout is a
 * verdict of "not the same".
 */
export function judgeFor(request: RouteRequest, armId: string, deps: JudgeDeps): CacheVerifier {
  return async (cachedQuestion, question) => {
    const arm = deps.arms().find((a) => a.id === armId);
    if (!arm) return { arm: armId, same: false, costUsd: 0, latencyMs: 0, error: `judge arm ${armId} is not in the routing table` };
    const call = await sideCall(deps, { request }, arm, judgeMessages(cachedQuestion, question), JUDGE_MAX_TOKENS);
    const base = { arm: armId, costUsd: call.costUsd, latencyMs: call.latencyMs };
    if (call.text === undefined) return { ...base, same: false, error: call.error };
    return { ...base, same: judgedSame(call.text), usage: call.outcome!.usage };
  };
}
