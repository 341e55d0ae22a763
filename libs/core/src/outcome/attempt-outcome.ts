import type { ErrorKind } from '../errors/error-kind';
import type { FinishReason, TokenUsage } from '../ports/provider';

/**
 * `cancelled`: the router aborted the attempt itself (a hedge that lost the race, shutdown). It is
 * not a failure of the arm, costs 0 (the usage of an aborted call is unknown) and is not passed to
 * outcome sinks.
 */
export type OutcomeKind = 'ok' | 'cancelled' | ErrorKind;

/** Why the router made this attempt. */
export type AttemptRole = 'first' | 'retry' | 'fallback' | 'hedge' | 'continuation' | 'rewrite' | 'check_fallback';

/**
 * One provider attempt, as data. The same object feeds the response's `attempts[]`, the breaker,
 * the posterior, the budget settlement and the attempt span.
 */
export interface AttemptOutcome {
  arm: string;
  /** 1-based attempt number within the request. */
  attempt: number;
  kind: OutcomeKind;
  role?: AttemptRole;
  retryable: boolean;
  countsAgainstArm: boolean;
  startedAt: number;
  latencyMs: number;
  costUsd: number;
  usage: TokenUsage;
  finishReason?: FinishReason;
  /** The model the provider reported (ok outcomes). */
  model?: string;
  /** Human-readable failure detail (never contains secrets). */
  message?: string;
  status?: number;
  retryAfterMs?: number;
  /** Request parameters the provider could not take as given (ProviderReply.droppedParams). */
  droppedParams?: string[];
  /** Set on an ok attempt whose answer failed the class's answer checks and was not published. */
  rejectedBy?: string[];
}

/** Receives every attempt outcome, e.g. posteriors, breakers, quantile sketches. */
export interface OutcomeSink {
  /** `outcomeId` (request id : attempt) lets a sink ignore an outcome it has already learnt from. */
  record(outcome: AttemptOutcome, requestClass: string, outcomeId?: string): void;
  /** Takes back the failure a hung-call report recorded, when that call answered ok after all. */
  retractHung?(arm: string, requestClass: string): void;
  /** The arm's circuit breaker closed after successful half-open probes: it is back. */
  armRecovered?(arm: string): void;
}
