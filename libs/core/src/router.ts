import { traitsOf, type ErrorKind } from './errors/error-kind';
import type { RouterEvents } from './events/router-events';
import type { AttemptOutcome, OutcomeSink } from './outcome/attempt-outcome';
import type { Clock } from './ports/clock';
import type { ProviderRegistry } from './ports/provider';
import type { ArmConfig } from './routing/arm';
import type { ArmSelector } from './routing/arm-selector';
import { runAttempt } from './routing/attempt-runner';
import { checkEligibility, DEFAULT_RULES, type EligibilityRule } from './routing/eligibility';
import type { RouteRequest } from './routing/route-request';
import type { RouteFailure, RouteResult } from './routing/route-result';
import { estimatePromptTokens } from './routing/token-estimate';

export interface RouterOptions {
  arms: readonly ArmConfig[];
  providers: ProviderRegistry;
  selector: ArmSelector;
  clock: Clock;
  events?: RouterEvents;
  outcomeSinks?: readonly OutcomeSink[];
  eligibilityRules?: readonly EligibilityRule[];
  /** Applies when a request sets no `routing.deadlineMs`. */
  defaultDeadlineMs?: number;
  /** Hard cap on attempts per request, whatever the policies say. */
  maxAttempts?: number;
}

export const DEFAULT_DEADLINE_MS = 30_000;

const silent: RouterEvents = { emit: () => undefined };

/**
 * The routing loop: choose an eligible arm, attempt it, record the outcome, decide the next step.
 * Framework-free; time and randomness come in through ports.
 */
export class Router {
  private readonly events: RouterEvents;
  private readonly rules: readonly EligibilityRule[];

  constructor(private readonly options: RouterOptions) {
    this.events = options.events ?? silent;
    this.rules = options.eligibilityRules ?? DEFAULT_RULES;
  }

  get arms(): readonly ArmConfig[] {
    return this.options.arms;
  }

  async route(request: RouteRequest, signal?: AbortSignal): Promise<RouteResult> {
    const { clock, selector, providers } = this.options;
    const startedAt = clock.now();
    const deadlineAt = startedAt + (request.routing.deadlineMs ?? this.options.defaultDeadlineMs ?? DEFAULT_DEADLINE_MS);
    const maxAttempts = this.options.maxAttempts ?? 8;
    const promptTokens = estimatePromptTokens(request.messages);
    const tried: string[] = [];
    const attempts: AttemptOutcome[] = [];
    this.events.emit({ type: 'request.started', requestId: request.id, tenant: request.tenant, requestClass: request.class, at: startedAt });

    const finish = (result: Omit<RouteResult, 'attempts' | 'latencyMs' | 'usage'> & { usage?: RouteResult['usage'] }): RouteResult => {
      const spent = attempts.reduce((sum, a) => sum + a.costUsd, 0);
      const full: RouteResult = {
        ...result,
        attempts,
        usage: result.usage ?? { inputTokens: 0, outputTokens: 0, costUsd: spent },
        latencyMs: clock.now() - startedAt,
      };
      this.events.emit({ type: 'request.finished', requestId: request.id, at: clock.now(), result: full });
      return full;
    };

    for (let step = 1; ; step++) {
      const now = clock.now();
      if (now >= deadlineAt) return finish({ status: 'failed', error: this.failure('deadline_exceeded', attempts) });
      if (signal?.aborted) return finish({ status: 'failed', error: this.failure('deadline_exceeded', attempts, 'router shutting down') });
      if (attempts.length >= maxAttempts) return finish({ status: 'failed', error: this.failure(lastKind(attempts), attempts) });

      const { eligible, excluded } = checkEligibility(this.options.arms, { request, promptTokens, tried: new Set(tried), now }, this.rules);
      if (eligible.length === 0) {
        return finish({ status: 'failed', error: this.failure(attempts.length ? lastKind(attempts) : 'no_eligible_arm', attempts, describeExclusions(excluded)) });
      }
      const picked = selector.select({ request, tried, clock }, eligible);
      this.events.emit({ type: 'decision', requestId: request.id, at: now, step, decision: { ...picked, excluded } });
      const arm = picked.chosen;
      const attempt = attempts.length + 1;
      this.events.emit({ type: 'attempt.started', requestId: request.id, at: clock.now(), arm: arm.id, attempt, model: arm.model, provider: arm.provider });
      const { outcome, reply } = await runAttempt({
        arm,
        provider: providers.providerFor(arm),
        call: {
          requestId: request.id,
          attempt,
          messages: request.messages,
          maxTokens: request.params.maxTokens,
          temperature: request.params.temperature,
          stop: request.params.stop,
        },
        deadlineAt,
        signal,
        clock,
      });
      attempts.push(outcome);
      tried.push(arm.id);
      this.record(outcome, request.class);
      this.events.emit({ type: 'attempt.finished', requestId: request.id, at: clock.now(), outcome });

      if (outcome.kind === 'ok' && reply) {
        return finish({
          status: 'ok',
          output: { text: reply.text, finishReason: reply.finishReason },
          servedBy: { arm: arm.id, provider: arm.provider, model: reply.model || arm.model },
          usage: { inputTokens: reply.usage.inputTokens, outputTokens: reply.usage.outputTokens, costUsd: attempts.reduce((s, a) => s + a.costUsd, 0) },
        });
      }
      if (outcome.kind === 'deadline_exceeded') return finish({ status: 'failed', error: this.failure('deadline_exceeded', attempts) });
      this.events.emit({ type: 'fallback', requestId: request.id, at: clock.now(), from: arm.id, reason: outcome.kind });
    }
  }

  private record(outcome: AttemptOutcome, requestClass: string): void {
    for (const sink of this.options.outcomeSinks ?? []) sink.record(outcome, requestClass);
  }

  private failure(kind: ErrorKind, attempts: readonly AttemptOutcome[], detail?: string): RouteFailure {
    const last = attempts.at(-1);
    const tried = attempts.map((a) => `${a.arm}: ${a.kind}${a.message ? ` (${a.message})` : ''}`).join('; ');
    const parts = [FAILURE_TEXT[kind] ?? kind];
    if (detail) parts.push(detail);
    if (tried) parts.push(`attempts: ${tried}`);
    return { kind, message: parts.join(' — '), retryable: last ? traitsOf(kind).retryable : false };
  }
}

function lastKind(attempts: readonly AttemptOutcome[]): ErrorKind {
  const last = attempts.at(-1);
  return !last || last.kind === 'ok' ? 'no_eligible_arm' : last.kind;
}

function describeExclusions(excluded: readonly { arm: string; reason: string }[]): string {
  return excluded.length ? `no arm can serve this request: ${excluded.map((e) => `${e.arm} ${e.reason}`).join('; ')}` : 'no arms configured';
}

/** A first sentence a person can act on, per final error kind. */
const FAILURE_TEXT: Partial<Record<ErrorKind, string>> = {
  no_eligible_arm: 'No configured arm can serve this request (check routing.models, class and context size)',
  deadline_exceeded: 'The request deadline passed before any arm answered (raise routing.deadlineMs or check provider latency)',
  rate_limited: 'Every eligible arm is rate limited right now',
  server_error: 'Every eligible arm failed with a provider server error',
  auth: 'The provider refused the credentials (check the API key configured for the provider)',
  bad_request: 'The provider rejected the request as invalid',
  context_overflow: 'The prompt does not fit the context window of any eligible arm',
  content_policy: 'The provider refused the content under its policy',
  network: 'Every eligible arm was unreachable',
  timeout_connect: 'Connecting to the provider timed out',
  timeout_read: 'The provider did not answer within the arm timeout',
  budget_exceeded: 'The budget left for this tenant cannot cover the request',
  circuit_open: 'Every eligible arm has an open circuit breaker',
};
