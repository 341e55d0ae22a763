import {
  context as otelContext,
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { AttemptOutcome, RouteRequest, RouteResult, RouterEvent } from '@switchyard/core';
import { ATTR, EVENT, SPAN } from './attributes';
import { decisionAttributes } from './decision-attributes';
import { traceHeaders } from './kafka-headers';
import { scrubSecrets } from './scrub';

export interface RouterTracingOptions {
  /** Defaults to the global tracer provider's (a no-op until the SDK is started). */
  tracer?: Tracer;
  /** Record prompt and output text (`gen_ai.input.messages` / `gen_ai.output.messages`). Off by default. */
  recordContent?: boolean;
  /** Strings masked wherever free text is recorded: the configured API keys. */
  secrets?: readonly string[];
  /** Requests traced at once; past it the oldest is closed. Bounds memory if a finish is ever lost. */
  maxOpenRequests?: number;
  /**
   * False when no span can record (the SDK is off): the request span is still opened, so a
   * producer's trace context flows on to the response, but router events are not turned into spans.
   * Default true.
   */
  recording?: boolean;
}

/** The root span of one request, opened by the edge that received it (the Kafka processor). */
export interface RequestTrace {
  /** The trace id, or undefined when nothing is traced (SDK off and no producer context). */
  readonly traceId: string | undefined;
  /** Runs the routing inside the request span's context. */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** `traceparent` (and `tracestate`) pointing at the request span, for the response record. */
  headers(): Record<string, string>;
  end(): void;
}

interface OpenRequest {
  root: Span;
  /** Opened here at `request.started` because no edge opened one: ended here at `request.finished`. */
  owned: boolean;
  decide?: Span;
  attempts: Map<number, Span>;
  /** Set by a fallback event; the decision that follows it is the fallback's. */
  fallbackFrom?: { arm: string; reason: string };
}

const DEFAULT_MAX_OPEN = 10_000;

/**
 * Turns RouterEvents into one trace per request:
 *   switchyard.request → switchyard.decide (one per decision) → chat <model> (one per attempt).
 * A decide span lasts until the next decision or the end of the request and parents every attempt
 * made on that decision (retries and hedges included), so Jaeger shows why an arm was tried right
 * above the attempt. Event `at` times (the router's Clock) are the span times.
 */
export class RouterTracing {
  private readonly tracer: Tracer;
  private readonly recordContent: boolean;
  private secrets: readonly string[];
  private readonly maxOpen: number;
  private readonly recording: boolean;
  private readonly open = new Map<string, OpenRequest>();

  constructor(options: RouterTracingOptions = {}) {
    this.tracer = options.tracer ?? trace.getTracer('@switchyard/telemetry');
    this.recordContent = options.recordContent ?? false;
    this.secrets = (options.secrets ?? []).filter((s) => s.length > 0);
    this.maxOpen = options.maxOpenRequests ?? DEFAULT_MAX_OPEN;
    this.recording = options.recording ?? true;
  }

  /** Keys of a reloaded routing table are masked too (those of the previous one stay masked). */
  addSecrets(secrets: readonly string[]): void {
    this.secrets = [...new Set([...this.secrets, ...secrets.filter((s) => s.length > 0)])];
  }

  /** Subscribe this to the RouterEventBus. */
  readonly listener = (event: RouterEvent): void => this.handle(event);

  get openRequests(): number {
    return this.open.size;
  }

  /** Opens `switchyard.request` under `parent` (the producer's context) before routing starts. */
  startRequest(request: RouteRequest, options: { parent?: Context; attributes?: Attributes; kind?: SpanKind } = {}): RequestTrace {
    const parent = options.parent ?? otelContext.active();
    // CONSUMER for a Kafka record (the default), SERVER for an HTTP request.
    const kind = options.kind ?? SpanKind.CONSUMER;
    const attributes = this.recording ? { ...requestAttributes(request), ...options.attributes } : undefined;
    const root = this.tracer.startSpan(SPAN.request, { kind, attributes }, parent);
    if (this.recording && this.recordContent) root.setAttribute(ATTR.genAiInputMessages, JSON.stringify(request.messages.map((m) => ({ role: m.role, parts: [{ type: 'text', content: m.content }] }))));
    // A request the sampler left out gets no spans: nothing is built for its events either.
    if (this.recording && root.isRecording()) this.track(request.id, { root, owned: false, attempts: new Map() });
    const spanContext = root.spanContext();
    const active = trace.setSpan(parent, root);
    return {
      traceId: isSpanContextValid(spanContext) ? spanContext.traceId : undefined,
      run: (work) => otelContext.with(active, work),
      headers: () => traceHeaders(active),
      end: () => {
        const state = this.open.get(request.id);
        if (state?.root === root) this.close(request.id, state, Date.now());
        root.end();
      },
    };
  }

  handle(event: RouterEvent): void {
    if (!this.recording) return;
    switch (event.type) {
      case 'request.started':
        return this.onStarted(event);
      case 'decision':
        return this.onDecision(event);
      case 'attempt.started':
        return this.onAttemptStarted(event);
      case 'attempt.finished':
        return this.onAttemptFinished(event.requestId, event.outcome, event.at);
      case 'fallback':
        return this.onFallback(event);
      case 'retry.scheduled':
        return this.addEvent(event.requestId, EVENT.retry, event.at, {
          [ATTR.retryArm]: event.arm,
          [ATTR.retryAttempt]: event.attempt,
          [ATTR.retryDelayMs]: event.delayMs,
          [ATTR.retryReason]: event.reason,
        });
      case 'hedge.started':
        return this.addEvent(event.requestId, EVENT.hedgeStarted, event.at, {
          [ATTR.hedgePrimary]: event.primary,
          [ATTR.hedgeArm]: event.hedge,
          [ATTR.attempt]: event.attempt,
          [ATTR.hedgeDelayMs]: event.delayMs,
        });
      case 'hedge.won':
        return this.addEvent(event.requestId, EVENT.hedgeWon, event.at, {
          [ATTR.hedgeWinner]: event.winner,
          [ATTR.hedgeLoser]: event.loser,
          [ATTR.hedgeLoserCancelled]: event.loserCancelled,
        });
      case 'continuation':
        return this.addEvent(event.requestId, EVENT.continuation, event.at, {
          [ATTR.arm]: event.arm,
          [ATTR.attempt]: event.attempt,
          [ATTR.continuation]: event.continuation,
          [ATTR.continuationTokensSoFar]: event.outputTokensSoFar,
        });
      case 'stream.switched':
        return this.addEvent(event.requestId, EVENT.streamSwitched, event.at, {
          [ATTR.streamFrom]: event.from,
          [ATTR.streamTo]: event.to,
          [ATTR.attempt]: event.attempt,
          [ATTR.streamedChars]: event.streamedChars,
          [ATTR.streamReason]: this.scrub(event.reason),
        });
      case 'credentials.refused':
      case 'credentials.restored':
        // Arm-level state, not a request's: /health/routing and the credentials gauge show it.
        return;
      case 'breaker.transition':
        // Only visible in a trace when a request's outcome caused it; breaker states over time
        // belong to /health/routing and the metrics.
        if (event.requestId === undefined) return;
        return this.addEvent(event.requestId, EVENT.breakerTransition, event.at, {
          [ATTR.breakerArm]: event.arm,
          [ATTR.breakerFrom]: event.from,
          [ATTR.breakerTo]: event.to,
          [ATTR.breakerReason]: event.reason,
        });
      case 'degraded':
        return this.addEvent(event.requestId, EVENT.degraded, event.at, {
          [ATTR.requestClass]: event.requestClass,
          [ATTR.errorKind]: event.failure.kind,
        });
      case 'escalated':
        return this.addEvent(event.requestId, EVENT.escalated, event.at, { [ATTR.eventReason]: this.scrub(event.reason) });
      case 'budget.reserved':
        return this.addEvent(event.requestId, EVENT.budgetReserved, event.at, { [ATTR.budgetArm]: event.arm, [ATTR.budgetReservedUsd]: event.amountUsd });
      case 'budget.settled':
        return this.addEvent(event.requestId, EVENT.budgetSettled, event.at, {
          [ATTR.budgetArm]: event.arm,
          [ATTR.budgetReservedUsd]: event.reservedUsd,
          [ATTR.budgetActualUsd]: event.actualUsd,
        });
      case 'budget.refused':
        return this.addEvent(event.requestId, EVENT.budgetRefused, event.at, { [ATTR.budgetArm]: event.arm, [ATTR.budgetReason]: event.reason });
      case 'attempt.hung':
        return this.addEvent(event.requestId, EVENT.attemptHung, event.at, { [ATTR.arm]: event.arm, [ATTR.attempt]: event.attempt, [ATTR.hungAfterMs]: event.afterMs });
      case 'answer.checked':
        return this.addEvent(event.requestId, EVENT.answerChecked, event.at, {
          [ATTR.arm]: event.arm,
          [ATTR.checksFailed]: event.failed.map((f) => f.check),
          [ATTR.checksRejected]: event.rejected,
        });
      case 'cache.lookup':
        return this.addEvent(event.requestId, EVENT.cacheLookup, event.at, {
          [ATTR.cacheStage]: event.stage,
          [ATTR.cacheResult]: event.result,
          ...(event.kind ? { [ATTR.cacheKind]: event.kind } : {}),
          ...(event.similarity !== undefined ? { [ATTR.cacheSimilarity]: event.similarity } : {}),
          ...(event.ageMs !== undefined ? { [ATTR.cacheAgeMs]: event.ageMs } : {}),
          ...(event.embedMs !== undefined ? { [ATTR.cacheEmbedMs]: event.embedMs } : {}),
          ...(event.rejected ? { [ATTR.cacheRejected]: event.rejected } : {}),
          ...(event.entryKey ? { [ATTR.cacheEntryKey]: event.entryKey } : {}),
          ...(event.firstRequestId ? { [ATTR.cacheFirstRequestId]: event.firstRequestId } : {}),
          ...(event.judge
            ? {
                [ATTR.cacheJudgeArm]: event.judge.arm,
                [ATTR.cacheJudgeSame]: event.judge.same,
                [ATTR.cacheJudgeCostUsd]: event.judge.costUsd,
                [ATTR.cacheJudgeLatencyMs]: event.judge.latencyMs,
                ...(event.judge.error ? { [ATTR.cacheJudgeError]: this.scrub(event.judge.error) } : {}),
              }
            : {}),
          // Another request's text: recorded only where the operator records content at all.
          ...(this.recordContent && event.cachedQuestion !== undefined ? { [ATTR.cacheQuestion]: event.cachedQuestion } : {}),
        });
      case 'cache.stored':
        return this.addEvent(event.requestId, EVENT.cacheStored, event.at, {
          [ATTR.cacheResult]: event.result,
          ...(event.reason ? { [ATTR.cacheReason]: event.reason } : {}),
          ...(event.semantic !== undefined ? { [ATTR.cacheKind]: event.semantic ? 'semantic' : 'exact' } : {}),
        });
      case 'context.reduced':
        return this.onReduced(event);
      case 'fallback.guarded':
        return this.addEvent(event.requestId, EVENT.fallbackGuard, event.at, {
          [ATTR.arm]: event.arm,
          [ATTR.guardMethod]: event.verdict.method,
          [ATTR.guardResult]: event.verdict.result,
          [ATTR.guardReason]: this.scrub(event.verdict.reason),
          ...(event.verdict.score !== undefined ? { [ATTR.guardScore]: event.verdict.score } : {}),
          ...(event.verdict.arm ? { [ATTR.guardArm]: event.verdict.arm } : {}),
          ...(event.verdict.costUsd !== undefined ? { [ATTR.guardCostUsd]: event.verdict.costUsd } : {}),
        });
      // The guard's event above is the trace's; the answer's copy is the review stream's.
      case 'fallback.answered':
        return;
      case 'request.finished':
        return this.onFinished(event.requestId, event.result, event.at);
      default:
        // Event types added to the core after this subscriber are not traced, never an error.
        return;
    }
  }

  private onStarted(event: Extract<RouterEvent, { type: 'request.started' }>): void {
    let state = this.open.get(event.requestId);
    if (!state) {
      const root = this.tracer.startSpan(SPAN.request, { kind: SpanKind.INTERNAL, startTime: event.at, attributes: { [ATTR.requestId]: event.requestId } }, otelContext.active());
      if (!root.isRecording()) return;
      state = this.track(event.requestId, { root, owned: true, attempts: new Map() });
    }
    state.root.setAttributes({ [ATTR.tenant]: event.tenant, [ATTR.requestClass]: event.requestClass });
  }

  private onDecision(event: Extract<RouterEvent, { type: 'decision' }>): void {
    const state = this.open.get(event.requestId);
    if (!state) return;
    state.decide?.end(event.at);
    const attributes = decisionAttributes(event.decision, event.step);
    if (state.fallbackFrom) {
      attributes[ATTR.fallbackFrom] = state.fallbackFrom.arm;
      attributes[ATTR.fallbackReason] = state.fallbackFrom.reason;
      state.fallbackFrom = undefined;
    }
    state.decide = this.tracer.startSpan(SPAN.decide, { startTime: event.at, attributes }, trace.setSpan(ROOT_CONTEXT, state.root));
  }

  private onAttemptStarted(event: Extract<RouterEvent, { type: 'attempt.started' }>): void {
    const state = this.open.get(event.requestId);
    if (!state) return;
    const parent = state.decide ?? state.root;
    const span = this.tracer.startSpan(
      SPAN.chat(event.model),
      {
        kind: SpanKind.CLIENT,
        startTime: event.at,
        attributes: {
          [ATTR.genAiOperation]: 'chat',
          [ATTR.genAiProvider]: event.provider,
          [ATTR.genAiRequestModel]: event.model,
          [ATTR.arm]: event.arm,
          [ATTR.attempt]: event.attempt,
        },
      },
      trace.setSpan(ROOT_CONTEXT, parent),
    );
    state.attempts.get(event.attempt)?.end(event.at);
    state.attempts.set(event.attempt, span);
  }

  private onAttemptFinished(requestId: string, outcome: AttemptOutcome, at: number): void {
    const state = this.open.get(requestId);
    const span = state?.attempts.get(outcome.attempt);
    if (!state || !span) return;
    span.setAttributes(outcomeAttributes(outcome));
    // A cancelled attempt (a hedge that lost the race) is the router's choice, not an arm failure.
    if (outcome.kind !== 'ok' && outcome.kind !== 'cancelled') {
      span.setAttribute(ATTR.errorType, outcome.kind);
      span.setStatus({ code: SpanStatusCode.ERROR, message: this.scrub(outcome.message ?? outcome.kind) });
    }
    span.end(at);
    state.attempts.delete(outcome.attempt);
  }

  private onFallback(event: Extract<RouterEvent, { type: 'fallback' }>): void {
    const state = this.open.get(event.requestId);
    if (!state) return;
    const attributes: Attributes = { [ATTR.fallbackFrom]: event.from, [ATTR.fallbackReason]: event.reason };
    if (event.to !== undefined) {
      attributes[ATTR.fallbackTo] = event.to;
      state.fallbackFrom = { arm: event.from, reason: event.reason };
    }
    state.root.addEvent(EVENT.fallback, attributes, event.at);
  }

  /** One span for the reduction, under the request, from its start to the reduced prompt (the summary call inside it). */
  private onReduced(event: Extract<RouterEvent, { type: 'context.reduced' }>): void {
    const state = this.open.get(event.requestId);
    if (!state) return;
    const summary = event.summary;
    const span = this.tracer.startSpan(
      SPAN.reduce,
      {
        startTime: event.startedAt,
        attributes: {
          [ATTR.reduceMethod]: event.method,
          [ATTR.reduceReduced]: event.reduced,
          [ATTR.reduceFromTokens]: event.fromTokens,
          [ATTR.reduceToTokens]: event.toTokens,
          [ATTR.reduceDroppedTurns]: event.droppedTurns,
          [ATTR.reduceTargetArm]: event.targetArm,
          [ATTR.reduceLimitTokens]: event.limitTokens,
          ...(event.reason ? { [ATTR.eventReason]: event.reason } : {}),
          ...(summary
            ? {
                [ATTR.reduceSummaryArm]: summary.arm,
                [ATTR.reduceSummaryCostUsd]: summary.costUsd,
                [ATTR.reduceSummaryLatencyMs]: summary.latencyMs,
                ...(summary.error ? { [ATTR.reduceSummaryError]: this.scrub(summary.error) } : {}),
              }
            : {}),
        },
      },
      trace.setSpan(ROOT_CONTEXT, state.root),
    );
    const call = event.summaryCall;
    if (call) {
      // The summariser's provider call, like an attempt's span, under the reduction it served.
      const chat = this.tracer.startSpan(
        SPAN.chat(call.model),
        {
          kind: SpanKind.CLIENT,
          startTime: call.outcome.startedAt,
          attributes: { [ATTR.genAiOperation]: 'chat', [ATTR.genAiProvider]: call.provider, [ATTR.genAiRequestModel]: call.model, [ATTR.arm]: call.outcome.arm, ...outcomeAttributes(call.outcome), [ATTR.attemptRole]: 'summary' },
        },
        trace.setSpan(ROOT_CONTEXT, span),
      );
      if (call.outcome.kind !== 'ok') {
        chat.setAttribute(ATTR.errorType, call.outcome.kind);
        chat.setStatus({ code: SpanStatusCode.ERROR, message: this.scrub(call.outcome.message ?? call.outcome.kind) });
      }
      chat.end(call.outcome.startedAt + call.outcome.latencyMs);
    }
    span.end(event.at);
  }

  private addEvent(requestId: string, name: string, at: number, attributes: Attributes): void {
    this.open.get(requestId)?.root.addEvent(name, attributes, at);
  }

  private onFinished(requestId: string, result: RouteResult, at: number): void {
    const state = this.open.get(requestId);
    if (!state) return;
    const { root } = state;
    root.setAttributes(resultAttributes(result));
    if (result.status === 'failed') {
      const kind = result.error?.kind ?? 'failed';
      root.setAttribute(ATTR.errorType, kind);
      root.setStatus({ code: SpanStatusCode.ERROR, message: this.scrub(result.error?.message ?? kind) });
    }
    if (this.recordContent && result.output) {
      root.setAttribute(
        ATTR.genAiOutputMessages,
        JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: result.output.text }], finish_reason: result.output.finishReason }]),
      );
    }
    this.close(requestId, state, at);
  }

  private track(requestId: string, state: OpenRequest): OpenRequest {
    const previous = this.open.get(requestId);
    if (previous) this.close(requestId, previous, Date.now());
    while (this.open.size >= this.maxOpen) {
      const [oldestId, oldest] = this.open.entries().next().value as [string, OpenRequest];
      oldest.root.setAttribute('switchyard.trace.evicted', true);
      this.close(oldestId, oldest, Date.now());
    }
    this.open.set(requestId, state);
    return state;
  }

  /** Ends whatever is still open for a request; the root only if this subscriber opened it. */
  private close(requestId: string, state: OpenRequest, at: number): void {
    for (const span of state.attempts.values()) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'attempt still running when the request ended' });
      span.end(at);
    }
    state.attempts.clear();
    state.decide?.end(at);
    state.decide = undefined;
    if (state.owned) state.root.end(at);
    this.open.delete(requestId);
  }

  private scrub(text: string): string {
    return scrubSecrets(text, this.secrets);
  }
}

function requestAttributes(request: RouteRequest): Attributes {
  return {
    [ATTR.requestId]: request.id,
    [ATTR.tenant]: request.tenant,
    [ATTR.requestClass]: request.class,
    [ATTR.objective]: request.routing.objective,
  };
}

function resultAttributes(result: RouteResult): Attributes {
  const attributes: Attributes = {
    [ATTR.status]: result.status,
    [ATTR.attempts]: result.attempts.length,
    [ATTR.costUsd]: result.usage.costUsd,
    [ATTR.latencyMs]: result.latencyMs,
    [ATTR.inputTokens]: result.usage.inputTokens,
    [ATTR.outputTokens]: result.usage.outputTokens,
  };
  if (result.servedBy) {
    attributes[ATTR.servedArm] = result.servedBy.arm;
    attributes[ATTR.servedModel] = result.servedBy.model;
  }
  if (result.error) attributes[ATTR.errorKind] = result.error.kind;
  if (result.degraded) attributes[ATTR.degraded] = true;
  if (result.degradedFrom) attributes[ATTR.degradedFrom] = result.degradedFrom.kind;
  if (result.escalate) attributes[ATTR.escalated] = result.escalate.reason;
  if (result.cache) {
    attributes[ATTR.cacheKind] = result.cache.kind;
    attributes[ATTR.cacheSimilarity] = result.cache.similarity;
    attributes[ATTR.cacheAgeMs] = result.cache.ageMs;
    attributes[ATTR.cacheLastResort] = result.cache.lastResort;
    attributes[ATTR.cacheArm] = result.cache.arm;
    attributes[ATTR.cacheEntryKey] = result.cache.entryKey;
    attributes[ATTR.cacheFirstRequestId] = result.cache.firstRequestId;
  }
  return attributes;
}

function outcomeAttributes(outcome: AttemptOutcome): Attributes {
  const attributes: Attributes = {
    [ATTR.outcome]: outcome.kind,
    [ATTR.attemptRole]: outcome.role ?? 'first',
    [ATTR.costUsd]: outcome.costUsd,
    [ATTR.latencyMs]: outcome.latencyMs,
  };
  // A failed call has no usage to report; zeros would read as "answered with nothing".
  if (outcome.kind === 'ok' || outcome.usage.inputTokens > 0 || outcome.usage.outputTokens > 0) {
    attributes[ATTR.genAiInputTokens] = outcome.usage.inputTokens;
    attributes[ATTR.genAiOutputTokens] = outcome.usage.outputTokens;
  }
  if (outcome.model) attributes[ATTR.genAiResponseModel] = outcome.model;
  if (outcome.finishReason) attributes[ATTR.genAiFinishReasons] = [outcome.finishReason];
  if (outcome.status !== undefined) attributes[ATTR.httpStatus] = outcome.status;
  if (outcome.retryAfterMs !== undefined) attributes[ATTR.retryAfterMs] = outcome.retryAfterMs;
  if (outcome.droppedParams?.length) attributes[ATTR.paramsDropped] = outcome.droppedParams;
  return attributes;
}
