import type { CheckFailure } from '../quality/answer-checks';
import type { Decision } from '../routing/arm-selector';
import type { AttemptOutcome } from '../outcome/attempt-outcome';
import type { RouteFailure, RouteResult } from '../routing/route-result';
import type { BreakerState } from '../resilience/circuit-breaker';
import type { ReductionMethod } from '../reduction/context-reduction';
import type { GuardVerdict } from '../quality/fallback-guard';

/**
 * What the core tells the outside world. Telemetry, metrics and health subscribe; the core never
 * imports them. Events are plain data and emitting must not throw into the routing loop.
 */
export type RouterEvent =
  | { type: 'request.started'; requestId: string; tenant: string; requestClass: string; at: number }
  | { type: 'decision'; requestId: string; at: number; decision: Decision; step: number }
  | { type: 'attempt.started'; requestId: string; at: number; arm: string; attempt: number; model: string; provider: string }
  | { type: 'attempt.finished'; requestId: string; at: number; outcome: AttemptOutcome }
  | { type: 'retry.scheduled'; requestId: string; at: number; arm: string; attempt: number; delayMs: number; reason: string }
  /** `to` is absent when no arm is left to fall back to (the request then fails or degrades). */
  | { type: 'fallback'; requestId: string; at: number; from: string; to?: string; reason: string }
  | { type: 'hedge.started'; requestId: string; at: number; primary: string; hedge: string; attempt: number; delayMs: number }
  | { type: 'hedge.won'; requestId: string; at: number; winner: string; loser: string; loserCancelled: boolean }
  | { type: 'continuation'; requestId: string; at: number; arm: string; attempt: number; continuation: number; outputTokensSoFar: number }
  /** Not tied to one request: `requestId` names the request whose outcome caused it, when one did. */
  | { type: 'breaker.transition'; requestId?: string; at: number; arm: string; from: BreakerState; to: BreakerState; reason: string }
  | { type: 'degraded'; requestId: string; at: number; requestClass: string; failure: RouteFailure }
  | { type: 'escalated'; requestId: string; at: number; reason: string }
  /** A budget reservation of the call's maximum cost was taken (before the provider call). */
  | { type: 'budget.reserved'; requestId: string; at: number; arm: string; amountUsd: number }
  /** The reservation was settled to the actual cost (0 = released). */
  | { type: 'budget.settled'; requestId: string; at: number; arm: string; reservedUsd: number; actualUsd: number }
  /** The reservation was refused at call time; no provider call was made. */
  | { type: 'budget.refused'; requestId: string; at: number; arm: string; reason: string }
  /** An attempt still running past k × the arm's recent P99: counted against the arm now, not at its timeout. */
  | { type: 'attempt.hung'; requestId: string; at: number; arm: string; attempt: number; afterMs: number }
  /** The answer checks ran on an answer: `failed` lists the checks it failed; `rejected`: not published. */
  | { type: 'answer.checked'; requestId: string; at: number; arm: string; requestClass: string; failed: CheckFailure[]; rejected: boolean }
  /** A cache lookup (`stage`: before routing or as the last resort) and what it found. */
  | {
      type: 'cache.lookup';
      requestId: string;
      at: number;
      stage: 'first' | 'last_resort';
      result: 'hit' | 'miss' | 'error';
      kind?: 'exact' | 'semantic';
      similarity?: number;
      ageMs?: number;
      embedMs?: number;
      /** A miss where a semantic neighbour was close enough but a guard refused it (semantic-guards.ts), or `unchecked`. */
      rejected?: string;
      /** A hit: the entry served (its exact key), the request that first asked it, and that request's question. */
      entryKey?: string;
      firstRequestId?: string;
      cachedQuestion?: string;
      /** The class's judge was asked (cache-judge.ts): its arm, verdict, cost and time. */
      judge?: { arm: string; same: boolean; costUsd: number; latencyMs: number; error?: string };
    }
  /** A checked answer was written to the cache (or not, and why). */
  | { type: 'cache.stored'; requestId: string; at: number; result: 'stored' | 'skipped' | 'error'; semantic?: boolean; reason?: string }
  /**
   * A streamed answer broke off after `streamedChars` characters reached the caller (the provider
   * failed or stalled) and continues on `to` (possibly the same arm, retried) from that text.
   */
  | { type: 'stream.switched'; requestId: string; at: number; from: string; to: string; attempt: number; streamedChars: number; reason: string }
  /** The provider refused an arm's credentials (401/403): it leaves rotation for every class until a probe or a reload. Once per arm. */
  | { type: 'credentials.refused'; at: number; arm: string; status?: number; message?: string; nextProbeAt: number }
  /** The arm's credentials work again (a probe answered ok) or the routing table was reloaded. */
  | { type: 'credentials.restored'; at: number; arm: string; refusedSince: number }
  /**
   * Context reduction ran (routing/reduction-stage.ts), from `startedAt` to `at`: the prompt was
   * reduced from `fromTokens` to `toTokens` to fit `targetArm` (`limitTokens` with the margin), or
   * could not be (`reduced: false`, `reason`). `summary`: the summariser's call, its cost and error.
   */
  | {
      type: 'context.reduced';
      requestId: string;
      requestClass: string;
      startedAt: number;
      at: number;
      method: ReductionMethod;
      reduced: boolean;
      fromTokens: number;
      toTokens: number;
      droppedTurns: number;
      targetArm: string;
      limitTokens: number;
      summary?: { arm: string; costUsd: number; latencyMs: number; error?: string };
      /** The summariser's provider call as made (absent when none was: a refused reservation), for its span. */
      summaryCall?: { provider: string; model: string; outcome: AttemptOutcome };
      reason?: string;
    }
  /** The class's fallback guard judged an answer that did not come from the first-choice arm. */
  | { type: 'fallback.guarded'; requestId: string; at: number; requestClass: string; arm: string; verdict: GuardVerdict }
  /**
   * An answer that did not come from the first-choice arm (passed the answer checks; `published`
   * false when the fallback guard rejected it): what the review stream (llm.fallbacks) copies.
   */
  | {
      type: 'fallback.answered';
      requestId: string;
      at: number;
      tenant: string;
      requestClass: string;
      firstChoice: string;
      arm: string;
      model: string;
      attempts: AttemptOutcome[];
      verdict?: GuardVerdict;
      published: boolean;
      text: string;
    }
  | { type: 'request.finished'; requestId: string; at: number; result: RouteResult };

export interface RouterEvents {
  emit(event: RouterEvent): void;
}

/** Fans one event out to many listeners; a throwing listener is isolated from the others. */
export class RouterEventBus implements RouterEvents {
  private readonly listeners: Array<(event: RouterEvent) => void> = [];

  subscribe(listener: (event: RouterEvent) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  emit(event: RouterEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A broken subscriber (metrics, tracing) must never fail a request.
      }
    }
  }
}
