import type { BudgetGuard } from '../budget/budget-guard';
import type { Clock } from '../ports/clock';
import type { ProviderRegistry } from '../ports/provider';
import { costUsd, type ArmConfig } from '../routing/arm';
import type { RouteRequest } from '../routing/route-request';
import { JUDGE_MAX_TOKENS, judgedSame, judgeMessages, type CacheVerifier, type JudgeVerdict } from './cache-judge';

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
 * like an attempt's. A refused reservation, an error or a timeout is a verdict of "not the same".
 */
export function judgeFor(request: RouteRequest, armId: string, deps: JudgeDeps): CacheVerifier {
  return async (cachedQuestion, question) => {
    const { clock, budget } = deps;
    const started = clock.now();
    const refused = (error: string): JudgeVerdict => ({ arm: armId, same: false, costUsd: 0, latencyMs: clock.now() - started, error });
    const arm = deps.arms().find((a) => a.id === armId);
    if (!arm) return refused(`judge arm ${armId} is not in the routing table`);
    const messages = judgeMessages(cachedQuestion, question);
    const reservation = budget ? await budget.reserve({ ...request, messages, params: { maxTokens: JUDGE_MAX_TOKENS, temperature: 0 } }, arm) : undefined;
    if (reservation && !reservation.ok) return refused(reservation.reason);
    const done = new AbortController();
    let spent = 0;
    try {
      const timeout = clock.sleep(arm.timeouts.totalMs, done.signal).then(() => {
        throw new Error(`judge ${armId} took longer than ${arm.timeouts.totalMs} ms`);
      });
      const call = deps.providers.providerFor(arm).call({ arm, requestId: request.id, attempt: 0, messages, maxTokens: JUDGE_MAX_TOKENS, temperature: 0, signal: done.signal });
      const reply = await Promise.race([call, timeout]);
      spent = costUsd(arm, reply.usage);
      return { arm: armId, same: judgedSame(reply.text), costUsd: spent, latencyMs: clock.now() - started, usage: reply.usage };
    } catch (err) {
      return refused((err as Error).message);
    } finally {
      done.abort();
      if (reservation?.ok) await (spent > 0 ? budget!.settle(reservation, spent) : budget!.release(reservation));
    }
  };
}
