import type { BudgetGuard } from '../budget/budget-guard';
import type { AttemptOutcome } from '../outcome/attempt-outcome';
import type { Clock } from '../ports/clock';
import type { ChatMessage, ProviderRegistry } from '../ports/provider';
import type { ArmConfig } from './arm';
import { runAttempt } from './attempt-runner';
import type { RouteRequest } from './route-request';

export interface SideCallDeps {
  clock: Clock;
  providers: ProviderRegistry;
  budget?: BudgetGuard;
}

/** The request a side call is made for: its tenant's budget pays, its deadline and shutdown bound it. */
export interface SideCallOwner {
  request: RouteRequest;
  /** Absent: only the arm's total timeout bounds the call. */
  deadlineAt?: number;
  signal?: AbortSignal;
}

/** A call the router makes for a request besides its attempts: a summary, a judge's verdict. */
export interface SideCall {
  arm: string;
  /** The reply text; undefined when the call failed or the budget refused it. */
  text?: string;
  outcome?: AttemptOutcome;
  costUsd: number;
  startedAt: number;
  latencyMs: number;
  /** Why there is no text: the provider's failure, the deadline, or the budget's refusal. */
  error?: string;
}

/**
 * One provider call on behalf of a request that is not one of its attempts (a summary, a fallback
 * guard's or the cache's judge): bounded by the arm's total timeout and the request deadline (runAttempt), its maximum cost reserved against the
 * request's tenant budget before the call and settled to the actual cost after, like an attempt's.
 * It teaches the policy nothing (no breaker, no posterior): the arm was not chosen for this class.
 */
export async function sideCall(deps: SideCallDeps, owner: SideCallOwner, arm: ArmConfig, messages: ChatMessage[], maxTokens: number): Promise<SideCall> {
  const { clock, budget } = deps;
  const startedAt = clock.now();
  const params = { maxTokens, temperature: 0 };
  const reservation = budget ? await budget.reserve({ ...owner.request, messages, params }, arm) : undefined;
  if (reservation && !reservation.ok) return { arm: arm.id, costUsd: 0, startedAt, latencyMs: 0, error: reservation.reason };
  let costUsd = 0;
  try {
    const { outcome, reply } = await runAttempt({
      arm,
      provider: deps.providers.providerFor(arm),
      call: { requestId: owner.request.id, attempt: 0, messages, ...params },
      deadlineAt: owner.deadlineAt ?? Number.MAX_SAFE_INTEGER,
      signal: owner.signal,
      clock,
    });
    costUsd = outcome.costUsd;
    const base = { arm: arm.id, outcome, costUsd, startedAt, latencyMs: outcome.latencyMs };
    if (outcome.kind !== 'ok' || !reply) return { ...base, error: `${outcome.kind}${outcome.message ? `: ${outcome.message}` : ''}` };
    return { ...base, text: reply.text };
  } finally {
    if (reservation?.ok) await (costUsd > 0 ? budget!.settle(reservation, costUsd) : budget!.release(reservation));
  }
}
