import type { BudgetGuard } from '../budget/budget-guard';
import type { AttemptOutcome } from '../outcome/attempt-outcome';
import type { Clock } from '../ports/clock';
import type { ChatMessage, ProviderRegistry } from '../ports/provider';
import type { ArmConfig } from './arm';
import { runAttempt } from './attempt-runner';
import type { Run } from './route-run';

export interface SideCallDeps {
  clock: Clock;
  providers: ProviderRegistry;
  budget?: BudgetGuard;
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
 * One provider call on behalf of a request that is not one of its attempts: bounded by the arm's
 * total timeout and the request deadline (runAttempt), its maximum cost reserved against the
 * request's tenant budget before the call and settled to the actual cost after, like an attempt's.
 * It teaches the policy nothing (no breaker, no posterior): the arm was not chosen for this class.
 */
export async function sideCall(deps: SideCallDeps, run: Run, arm: ArmConfig, messages: ChatMessage[], maxTokens: number): Promise<SideCall> {
  const { clock, budget } = deps;
  const startedAt = clock.now();
  const params = { maxTokens, temperature: 0 };
  const reservation = budget ? await budget.reserve({ ...run.request, messages, params }, arm) : undefined;
  if (reservation && !reservation.ok) return { arm: arm.id, costUsd: 0, startedAt, latencyMs: 0, error: reservation.reason };
  let costUsd = 0;
  try {
    const { outcome, reply } = await runAttempt({
      arm,
      provider: deps.providers.providerFor(arm),
      call: { requestId: run.request.id, attempt: 0, messages, ...params },
      deadlineAt: run.deadlineAt,
      signal: run.signal,
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
