import type { ErrorKind } from '../errors/error-kind';
import type { AttemptOutcome, AttemptRole } from '../outcome/attempt-outcome';
import type { ChatMessage, FinishReason, ProviderReply } from '../ports/provider';
import { excludedByBudget } from '../budget/budget-guard';
import type { FallbackConstraints } from '../resilience/fallback-planner';
import type { CacheProbe } from '../cache/response-cache';
import type { RouteOptions } from '../streaming/stream-sink';
import type { ArmConfig } from './arm';
import type { Decision, ExcludedArm } from './arm-selector';
import { ALREADY_ATTEMPTED } from './eligibility';
import type { RouteRequest } from './route-request';
import type { RunReduction } from '../reduction/reduction-settings';

/** One request in flight: what has been tried and learnt so far. Every stage of the router reads and writes it. */
export interface Run {
  request: RouteRequest;
  signal?: AbortSignal;
  startedAt: number;
  deadlineAt: number;
  promptTokens: number;
  /** The conversation sent to providers (a content-policy rewrite replaces it). */
  messages: ChatMessage[];
  rewritten: boolean;
  tried: string[];
  attempts: AttemptOutcome[];
  started: number;
  step: number;
  constraints: FallbackConstraints;
  /** The request's cache policy and keys, when a cache is configured and on for it. */
  cache?: CacheProbe;
  /** The cache entry the answer was written to. */
  cachedAs?: string;
  /** What the class's cache judge cost this request (cache-judge.ts), part of its cost. */
  judgeCostUsd?: number;
  /** The conversation was reduced to fit a smaller window (reduction-stage.ts); its summary call is part of the cost. */
  reduction?: RunReduction;
  /** Reduction is tried at most once per request. */
  reductionTried?: boolean;
  /** What the class's fallback guard (a judge arm) cost this request, part of its cost. */
  guardCostUsd?: number;
  /** A streamed request: where its text goes and all of it sent so far (every attempt's pieces). */
  stream?: { sink: NonNullable<RouteOptions['stream']>; sent: string };
}

/** A complete answer from one arm (continuations joined), before the checks decide on it. */
export interface Answer {
  arm: ArmConfig;
  attempt: number;
  text: string;
  finishReason: FinishReason;
  model: string;
  usage: { inputTokens: number; outputTokens: number };
  toolCalls?: ProviderReply['toolCalls'];
}

/** What the routing loop does next. */
export type Next =
  | { kind: 'attempt'; arm: ArmConfig; role: AttemptRole }
  | Stop
  /** Every arm the request may use is excluded and one only cools down after a 429: wait for it, then choose again. */
  | { kind: 'wait'; arm: string; untilMs: number; then: AttemptRole };

export type Stop = { kind: 'stop'; failure: ErrorKind; detail?: string; retryAfterMs?: number };

export type Selection = { decision: Decision } | { decision?: undefined; excluded: ExcludedArm[] };

export function totalCost(attempts: readonly AttemptOutcome[]): number {
  return attempts.reduce((sum, a) => sum + a.costUsd, 0);
}

/** What the request spent: its attempts, its cache judge, its summary call and its fallback guard. */
export function runCost(run: Run): number {
  return totalCost(run.attempts) + (run.judgeCostUsd ?? 0) + (run.reduction?.costUsd ?? 0) + (run.guardCostUsd ?? 0);
}

export function lastKind(attempts: readonly AttemptOutcome[]): ErrorKind {
  for (let i = attempts.length - 1; i >= 0; i--) {
    const kind = attempts[i].kind;
    if (kind !== 'ok' && kind !== 'cancelled') return kind;
  }
  return 'no_eligible_arm';
}

/**
 * The kind a request fails with after attempts: the last failure's, unless every arm it could
 * still have fallen back to was ruled out by a budget cap — then the cap is why it ends.
 */
export function finalKind(attempts: readonly AttemptOutcome[], excluded: readonly ExcludedArm[]): ErrorKind {
  const blocking = excluded.filter((e) => e.reason !== ALREADY_ATTEMPTED);
  return excludedByBudget(blocking) ? 'budget_exceeded' : lastKind(attempts);
}

export function describeExclusions(excluded: readonly { arm: string; reason: string }[]): string {
  return excluded.length ? `no arm can serve this request: ${excluded.map((e) => `${e.arm} ${e.reason}`).join('; ')}` : 'no arms configured';
}
