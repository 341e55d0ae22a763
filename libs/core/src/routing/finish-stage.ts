import { traitsOf, type ErrorKind } from '../errors/error-kind';
import type { RouterEvents } from '../events/router-events';
import type { AttemptOutcome } from '../outcome/attempt-outcome';
import type { Clock } from '../ports/clock';
import type { ConversationStickiness } from '../resilience/conversation-stickiness';
import type { CooldownWait } from '../resilience/cooldown-wait';
import type { DegradationConfig, EscalationConfig } from '../resilience/resilience-config';
import type { RunReduction } from '../reduction/reduction-settings';
import type { RouteFailure, RouteResult } from './route-result';
import { lastKind, runCost, type Answer, type Run, type Stop } from './route-run';

export interface FinishStageOptions {
  clock: Clock;
  events: RouterEvents;
  stickiness: ConversationStickiness;
  cooldown: CooldownWait;
  degradation: DegradationConfig;
  escalation: EscalationConfig;
}

/**
 * Turns a run into its RouteResult: the checked answer, a classified failure or the class's static
 * reply (degradation), flagged for review when escalation says so.
 */
export class FinishStage {
  constructor(private readonly options: FinishStageOptions) {}

  succeed(run: Run, answer: Answer): RouteResult {
    const conversation = run.request.routing.conversationId;
    if (conversation) this.options.stickiness.remember(conversation, answer.arm.id);
    return this.finish(run, {
      status: 'ok',
      output: { text: answer.text, finishReason: answer.finishReason, ...(answer.toolCalls ? { toolCalls: answer.toolCalls } : {}) },
      servedBy: { arm: answer.arm.id, provider: answer.arm.provider, model: answer.model },
      usage: { ...answer.usage, costUsd: runCost(run) },
      ...(run.cachedAs ? { cacheKey: run.cachedAs } : {}),
    });
  }

  /** A classified failure, or the class's static reply when degradation is configured for it. */
  fail(run: Run, stop: Stop): RouteResult {
    const failure = describeFailure(stop.failure, run.attempts, stop.detail);
    if (failure.kind === 'rate_limited') {
      const retryAfterMs = stop.retryAfterMs ?? this.options.cooldown.left(run);
      if (retryAfterMs !== undefined) failure.retryAfterMs = Math.max(0, Math.round(retryAfterMs));
    }
    const { degradation } = this.options;
    const reply = degradation.replies[run.request.class];
    if (reply === undefined || degradation.neverOn.includes(stop.failure)) return this.finish(run, { status: 'failed', error: failure });
    this.options.events.emit({ type: 'degraded', requestId: run.request.id, at: this.options.clock.now(), requestClass: run.request.class, failure });
    return this.finish(run, { status: 'ok', output: { text: reply, finishReason: 'stop' }, degraded: true, degradedFrom: failure });
  }

  finish(run: Run, result: Omit<RouteResult, 'attempts' | 'latencyMs' | 'usage'> & { usage?: RouteResult['usage'] }): RouteResult {
    const { clock, events } = this.options;
    const escalate = this.escalation(run, result);
    const full: RouteResult = {
      ...result,
      attempts: run.attempts,
      usage: result.usage ?? { inputTokens: 0, outputTokens: 0, costUsd: runCost(run) },
      latencyMs: clock.now() - run.startedAt,
      ...(run.reduction ? { reduced: reducedOf(run.reduction) } : {}),
      ...(escalate ? { escalate } : {}),
    };
    if (escalate) events.emit({ type: 'escalated', requestId: run.request.id, at: clock.now(), reason: escalate.reason });
    events.emit({ type: 'request.finished', requestId: run.request.id, at: clock.now(), result: full });
    return full;
  }

  private escalation(run: Run, result: Pick<RouteResult, 'status' | 'degraded'>): { reason: string } | undefined {
    const { escalation } = this.options;
    if (escalation.reviewClasses.includes(run.request.class)) return { reason: `class "${run.request.class}" is configured for review` };
    const failed = run.attempts.filter((a) => a.kind !== 'ok' && a.kind !== 'cancelled');
    if ((result.status === 'failed' || result.degraded) && failed.length >= escalation.afterFailedAttempts) {
      return { reason: `${failed.length} failed attempts (last: ${lastKind(run.attempts)})` };
    }
    return undefined;
  }
}

function reducedOf(r: RunReduction): NonNullable<RouteResult['reduced']> {
  const summary = r.summary ? { summary: { arm: r.summary.arm, costUsd: r.summary.costUsd, ...(r.summary.error ? { error: r.summary.error } : {}) } } : {};
  return { method: r.method, fromTokens: r.fromTokens, toTokens: r.toTokens, droppedTurns: r.droppedTurns, ...summary };
}

function describeFailure(kind: ErrorKind, attempts: readonly AttemptOutcome[], detail?: string): RouteFailure {
  const tried = attempts.map((a) => `${a.arm}: ${a.kind}${a.message ? ` (${a.message})` : ''}`).join('; ');
  const parts = [FAILURE_TEXT[kind] ?? kind];
  if (detail) parts.push(detail);
  if (tried) parts.push(`attempts: ${tried}`);
  // A 429 cooldown ends by itself: asking again later may succeed even when no attempt was made.
  const retryable = attempts.length || kind === 'rate_limited' ? traitsOf(kind).retryable : false;
  return { kind, message: parts.join(' — '), retryable };
}

/** A first sentence a person can act on, per final error kind. */
const FAILURE_TEXT: Partial<Record<ErrorKind, string>> = {
  no_eligible_arm: 'No configured arm can serve this request (check routing.models, class and context size)',
  check_failed: 'Every answer failed the answer checks this request class requires (see attempts and the checks named)',
  quality_unavailable: 'No arm currently meets the quality floor (minQuality) of this request class; try again later',
  deadline_exceeded: 'The request deadline passed before any arm answered (raise routing.deadlineMs or check provider latency)',
  rate_limited: 'The arms this request may use are rate limited (429) and cool down longer than the request can wait; try again after retryAfterMs (or lower the request rate, add capacity)',
  server_error: 'Every eligible arm failed with a provider server error, retries included (check the providers\' status)',
  auth: 'The provider refused the credentials (check the API key configured for the provider)',
  bad_request: 'The provider rejected the request as invalid (check messages and params)',
  context_overflow: 'The prompt does not fit the context window of any eligible arm (shorten it or allow a larger-window model)',
  content_policy: 'The provider refused the content under its policy (content-policy fallback is off unless routing.contentPolicyFallback is set)',
  network: 'Every eligible arm was unreachable (check network egress and provider endpoints)',
  timeout_connect: 'Connecting to the provider timed out (check network egress and the arm\'s connect timeout)',
  timeout_read: 'The provider did not answer within the arm timeout (raise timeouts.totalMs or use a faster arm)',
  budget_exceeded: 'The budget left for this tenant cannot cover the request',
  circuit_open: 'Every eligible arm has an open circuit breaker (see /health/routing)',
};
