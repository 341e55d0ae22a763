import type { ErrorKind } from '../errors/error-kind';
import type { FinishReason, ToolCall } from '../ports/provider';
import type { AttemptOutcome } from '../outcome/attempt-outcome';

export interface RouteFailure {
  kind: ErrorKind;
  message: string;
  retryable: boolean;
  /** rate_limited: how long until an arm this request may use is out of its 429 cooldown. */
  retryAfterMs?: number;
}

/** The router's answer for one request; the edge maps it to Response v1. */
export interface RouteResult {
  status: 'ok' | 'failed';
  output?: { text: string; finishReason: FinishReason; toolCalls?: ToolCall[] };
  servedBy?: { arm: string; provider: string; model: string };
  attempts: AttemptOutcome[];
  usage: { inputTokens: number; outputTokens: number; costUsd: number };
  latencyMs: number;
  error?: RouteFailure;
  /** The output is the configured static reply for the request class; `degradedFrom` says why. */
  degraded?: boolean;
  degradedFrom?: RouteFailure;
  /**
   * The output came from the response cache: before routing (`lastResort: false`, no provider
   * call), or after every arm failed (`lastResort: true`; the attempts say why).
   */
  cache?: { kind: 'exact' | 'semantic'; similarity: number; ageMs: number; lastResort: boolean; arm: string; model: string; entryKey: string; firstRequestId: string };
  /** The response cache entry holding this answer (written now, or served from): bad feedback drops it. */
  cacheKey?: string;
  /**
   * The conversation fitted no eligible arm and was reduced (`trim` or `summarize`, estimated
   * tokens before and after); `summary` is the summariser's call, whose cost is in `usage.costUsd`.
   */
  reduced?: { method: 'trim' | 'summarize'; fromTokens: number; toTokens: number; droppedTurns: number; summary?: { arm: string; costUsd: number; error?: string } };
  /** Set when the request needs a human; the app publishes it to llm.escalations. */
  escalate?: { reason: string };
}
