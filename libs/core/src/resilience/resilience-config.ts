/*
 * Resilience defaults
 *
 * | piece            | setting                         | default                                         |
 * |------------------|---------------------------------|-------------------------------------------------|
 * | retry (same arm) | rate_limited (429)              | 5 attempts, base 1 s ×2, cap 30 s, Retry-After honoured up to 30 s |
 * |                  | server_error (5xx)              | 3 attempts, base 2 s ×2, cap 30 s               |
 * |                  | timeout_read                    | 2 attempts (1 retry), base 1 s                  |
 * |                  | network                         | 2 attempts (1 retry), base 500 ms               |
 * |                  | timeout_connect                 | never on the same arm: next arm at once         |
 * |                  | auth, bad_request, others       | never                                           |
 * |                  | jitter                          | full: random × min(cap, base × factor^n)        |
 * |                  | order                           | another healthy untried arm first; sleep only when none is left |
 * | retry budget     | retries                         | 10 per second (floor) + 20 % of first attempts over a 60 s window (10 s buckets), per arm and overall |
 * | breaker          | window                          | 30 s of 1 s buckets, ≥ 10 calls, opens at ≥ 50 % failures |
 * |                  | consecutive failures            | 5 open it whatever the volume                   |
 * |                  | open time                       | 5 s × 2^k (k = re-opens since last close), cap 60 s |
 * |                  | half-open                       | 1 probe at a time, 2 successes close it         |
 * |                  | 429 cooldown                    | until Retry-After (1 s when absent, cap 5 min); not a failure |
 * | fallback         | generic                         | next untried arm, for every kind but deadline_exceeded and budget_exceeded |
 * |                  | context_overflow                | only arms with a larger context window          |
 * |                  | content_policy                  | off; when on: optional prompt rewrite on the same arm, then same policyGroup only |
 * | continuation     | finishReason length < maxTokens | up to 2 continuations on the same arm           |
 * | degradation      | static reply per request class  | off (no classes)                                |
 * | escalation       | failed attempts / review classes| after 3 failed attempts on a failed request; no review classes |
 * | hedging          | requests                        | off; request.routing.hedge or hedge.classes turn it on |
 * |                  | delay                           | hedge.delayMs, else the arm's P95 (LatencyEstimator), else no hedge |
 * | stickiness       | conversationId → arm            | 10 000 conversations (LRU), 30 min TTL          |
 * | timeouts         | per attempt                     | min(arm.timeouts.totalMs, request deadline)     |
 */
import type { ErrorKind } from '../errors/error-kind';
import type { ChatMessage } from '../ports/provider';

export interface BackoffConfig {
  baseMs: number;
  factor: number;
  capMs: number;
}

/** How often one arm may be attempted for one request after failing with a given kind. */
export interface KindRetryRule {
  /** Attempts on the same arm, the first included (1 = never retry the same arm). */
  maxAttempts: number;
  backoff: BackoffConfig;
}

export interface RetryConfig {
  /** Kinds absent here are never retried on the same arm. */
  perKind: Partial<Record<ErrorKind, KindRetryRule>>;
  /** A Retry-After above this is not waited for: the arm is given up for this request. */
  retryAfterCapMs: number;
}

export interface RetryBudgetConfig {
  /** Retries allowed per first attempt over the window (0.2 = 20 %). */
  ratio: number;
  /**
   * Retries allowed every second on top of the ratio (Finagle's `minRetriesPerSec`), so a quiet
   * router, or one just after a burst, can still retry a single request.
   */
  minRetriesPerSecond: number;
  bucketMs: number;
  windowMs: number;
}

export interface BreakerConfig {
  windowMs: number;
  bucketMs: number;
  /** Calls in the window before the failure rate may open the breaker. */
  minimumCalls: number;
  failureRateThreshold: number;
  consecutiveFailures: number;
  openBaseMs: number;
  openMaxMs: number;
  halfOpenMaxProbes: number;
  halfOpenSuccessesToClose: number;
  /** Cooldown after a 429 that carries no Retry-After. */
  defaultCooldownMs: number;
  maxCooldownMs: number;
}

export type PromptRewrite = (messages: readonly ChatMessage[]) => ChatMessage[];

export interface FallbackConfig {
  /** Kinds after which no other arm is tried. */
  noFallbackOn: ErrorKind[];
  contentPolicy: {
    /** Default for requests that do not set routing.contentPolicyFallback. */
    enabled: boolean;
    /** Tried once on the same arm before moving to another arm of the same policy group. */
    rewrite?: PromptRewrite;
  };
}

export interface ContinuationConfig {
  maxContinuations: number;
  /** The user turn appended after the partial assistant text. */
  prompt: string;
}

export interface DegradationConfig {
  /** Static reply per request class; a class absent here fails normally. */
  replies: Record<string, string>;
  /** Failures that are the caller's to fix are reported, not papered over. */
  neverOn: ErrorKind[];
}

export interface EscalationConfig {
  /** A failed (or degraded) request with at least this many failed attempts is escalated. */
  afterFailedAttempts: number;
  /** Classes whose every request is escalated for review. */
  reviewClasses: string[];
}

export interface HedgeConfig {
  /** Hedge every request (besides those setting routing.hedge). */
  enabled: boolean;
  classes: string[];
  /** Fixed hedge delay; otherwise the arm's P95 from the LatencyEstimator. */
  delayMs?: number;
  /** Lower bound on the hedge delay, so a tiny P95 does not double every call. */
  minDelayMs: number;
}

export interface StickinessConfig {
  maxConversations: number;
  ttlMs: number;
}

export interface ResilienceConfig {
  retry: RetryConfig;
  retryBudget: RetryBudgetConfig;
  breaker: BreakerConfig;
  fallback: FallbackConfig;
  continuation: ContinuationConfig;
  degradation: DegradationConfig;
  escalation: EscalationConfig;
  hedge: HedgeConfig;
  stickiness: StickinessConfig;
}

export const DEFAULT_RESILIENCE: Readonly<ResilienceConfig> = Object.freeze<ResilienceConfig>({
  retry: {
    perKind: {
      rate_limited: { maxAttempts: 5, backoff: { baseMs: 1_000, factor: 2, capMs: 30_000 } },
      server_error: { maxAttempts: 3, backoff: { baseMs: 2_000, factor: 2, capMs: 30_000 } },
      timeout_read: { maxAttempts: 2, backoff: { baseMs: 1_000, factor: 2, capMs: 10_000 } },
      network: { maxAttempts: 2, backoff: { baseMs: 500, factor: 2, capMs: 5_000 } },
    },
    retryAfterCapMs: 30_000,
  },
  retryBudget: { ratio: 0.2, minRetriesPerSecond: 10, bucketMs: 10_000, windowMs: 60_000 },
  breaker: {
    windowMs: 30_000,
    bucketMs: 1_000,
    minimumCalls: 10,
    failureRateThreshold: 0.5,
    consecutiveFailures: 5,
    openBaseMs: 5_000,
    openMaxMs: 60_000,
    halfOpenMaxProbes: 1,
    halfOpenSuccessesToClose: 2,
    defaultCooldownMs: 1_000,
    maxCooldownMs: 300_000,
  },
  fallback: { noFallbackOn: ['deadline_exceeded', 'budget_exceeded'], contentPolicy: { enabled: false } },
  continuation: { maxContinuations: 2, prompt: 'Continue exactly where you stopped. Do not repeat anything already written.' },
  degradation: { replies: {}, neverOn: ['bad_request'] },
  escalation: { afterFailedAttempts: 3, reviewClasses: [] },
  hedge: { enabled: false, classes: [], minDelayMs: 50 },
  stickiness: { maxConversations: 10_000, ttlMs: 30 * 60_000 },
});

/** Every section optional, every field of a section optional. */
export type ResilienceOverrides = { [K in keyof ResilienceConfig]?: Partial<ResilienceConfig[K]> };

/** Defaults with the given sections' fields replaced (one level deep; `retry.perKind` replaces per kind). */
export function resolveResilience(overrides: ResilienceOverrides = {}): ResilienceConfig {
  const d = DEFAULT_RESILIENCE;
  return {
    retry: { ...d.retry, ...overrides.retry, perKind: { ...d.retry.perKind, ...overrides.retry?.perKind } },
    retryBudget: { ...d.retryBudget, ...overrides.retryBudget },
    breaker: { ...d.breaker, ...overrides.breaker },
    fallback: { ...d.fallback, ...overrides.fallback },
    continuation: { ...d.continuation, ...overrides.continuation },
    degradation: { ...d.degradation, ...overrides.degradation },
    escalation: { ...d.escalation, ...overrides.escalation },
    hedge: { ...d.hedge, ...overrides.hedge },
    stickiness: { ...d.stickiness, ...overrides.stickiness },
  };
}
