import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { errorKinds, type BreakerState, type RouteResult, type RouterEvent } from '@switchyard/core';
import type { ConsumerLagProbe } from './consumer-lag';
import { tenantOfLine, type RoutingIntrospection } from './routing-introspection';
import { labelOf, OTHER_LABEL, type KnownLabels } from './known-labels';
import { SelectionWindow } from './selection-window';

export const METRIC_PREFIX = 'switchyard_';

/** Attempt latency buckets (seconds) for LLM calls: a fast cached reply to a long generation. */
export const ATTEMPT_BUCKETS_S = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60];
/** Request end-to-end buckets (seconds): retries and fallbacks add up, so up to 2 minutes. */
export const REQUEST_BUCKETS_S = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120];

export const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

/** Error kinds as metric label values; anything else is reported as `other` (bounded cardinality). */
const KINDS = new Set<string>([...errorKinds, 'cancelled']);

/** A free-text reason from the core ("server_error", "context_overflow on a 8000-token window…") as a bounded label. */
export function reasonLabel(reason: string): string {
  const head = /^[a-z_]+/.exec(reason)?.[0];
  return head && KINDS.has(head) ? head : 'other';
}

export interface TransportStatsView {
  state: string;
  inFlight: number;
  assignedPartitions: readonly number[];
  pausedPartitions: readonly number[];
  oldestInFlightMs?: number;
  stuckPartitions?: readonly number[];
}

/** The Kafka edge's counters. */
export interface ProcessorCountersView {
  replayed: number;
  refused?: number;
  undeliverable?: number;
}

/** The HTTP front door's counters. */
export interface FrontDoorCountersView {
  replayed: number;
}

export interface PublisherStatsView {
  producerRenewals: number;
  refused: ReadonlyMap<string, number>;
}

export interface BreakerView {
  arm: string;
  state: BreakerState;
  failureRate: number;
}

/** Where the scrape-time metrics come from; every source is optional (unit tests give none). */
export interface MetricsSources {
  /** Every arm of the routing table serving now: breaker gauges start at closed for each. */
  arms: readonly { id: string }[] | (() => readonly { id: string }[]);
  transport?: () => TransportStatsView;
  processor?: () => ProcessorCountersView;
  frontDoor?: () => FrontDoorCountersView;
  /** DLQ records written so far per reason. */
  dlqByReason?: () => ReadonlyMap<string, number>;
  /** Records nothing could be written for (the DLQ refused too). */
  recordsDropped?: () => number;
  /** Records published to the escalations topic (either edge). */
  escalated?: () => number;
  publisher?: () => PublisherStatsView;
  /** Feedback messages so far, by result (applied|duplicate|unknown_request|not_served|invalid). */
  feedback?: () => ReadonlyMap<string, number>;
  breakers?: () => readonly BreakerView[];
  lag?: { probe: ConsumerLagProbe; topic: string };
  introspection?: RoutingIntrospection;
  /**
   * The class and tenant values labels may carry (the configuration's); any other is counted as
   * `other`. Absent: every value is its own label (tests), tenants still capped by maxTenants.
   */
  knownLabels?: () => KnownLabels;
  /** Response cache sizes and evictions (absent: no cache configured). */
  cache?: () => { evictions: number; entries?: number; vectors?: number; vectorEvictions?: number; forgotten?: number };
  /** Fallback review records (FALLBACK_REVIEW_ENABLED): published, and failed (Kafka did not take them). */
  fallbackReviews?: () => { published: number; failed: number };
}

export interface RouterMetricsOptions {
  prefix?: string;
  /** Node process metrics (CPU, memory, event loop lag, GC); default on. */
  defaultMetrics?: boolean;
  /** Tenants beyond this many distinct names are counted as `other`. */
  maxTenants?: number;
  now?: () => number;
}

interface Started {
  tenant: string;
  requestClass: string;
}

/** Requests between request.started and request.finished remembered for their tenant and class. */
const MAX_OPEN_REQUESTS = 50_000;

/**
 * Turns router events into Prometheus series and reads the pull-style sources (transport, Kafka
 * lag, processor counters, budget) on scrape. Labels are bounded: arms, error kinds, request
 * classes and tenants — never request ids or free text.
 */
export class RouterMetrics {
  readonly registry = new Registry();
  /** Decisions per arm over the last minute, for /health/routing. */
  readonly selections = new SelectionWindow();
  private readonly open = new Map<string, Started>();
  private readonly tenants = new Set<string>();
  private readonly maxTenants: number;
  private readonly now: () => number;

  readonly requests: Counter<'status' | 'class' | 'error_kind'>;
  readonly requestDuration: Histogram<'status' | 'class'>;
  readonly attempts: Counter<'arm' | 'outcome' | 'role'>;
  readonly attemptDuration: Histogram<'arm' | 'result'>;
  readonly tokens: Counter<'arm' | 'type'>;
  readonly cost: Counter<'tenant' | 'arm'>;
  readonly decisions: Counter<'arm' | 'exploration'>;
  readonly fallbacks: Counter<'from' | 'to' | 'reason'>;
  readonly retries: Counter<'arm' | 'reason'>;
  readonly retryBudgetExhausted: Counter<'arm'>;
  readonly hedgesStarted: Counter<'primary' | 'hedge'>;
  readonly hedgesWon: Counter<'winner' | 'loser'>;
  readonly continuations: Counter<'arm'>;
  readonly streamSwitches: Counter<'from' | 'to'>;
  readonly answerChecks: Counter<'arm' | 'class' | 'result'>;
  readonly hungAttempts: Counter<'arm'>;
  readonly cacheLookups: Counter<'stage' | 'result' | 'kind'>;
  readonly cacheWrites: Counter<'result'>;
  readonly cacheGuardRejections: Counter<'guard'>;
  readonly breakerState: Gauge<'arm'>;
  readonly breakerTransitions: Counter<'arm' | 'to'>;
  readonly budgetRefusals: Counter<'tenant' | 'arm'>;
  readonly reductions: Counter<'class' | 'method' | 'result'>;
  readonly fallbackGuards: Counter<'class' | 'method' | 'result'>;

  constructor(
    private readonly sources: MetricsSources,
    options: RouterMetricsOptions = {},
  ) {
    const p = options.prefix ?? METRIC_PREFIX;
    const registers = [this.registry];
    this.maxTenants = options.maxTenants ?? 1_000;
    this.now = options.now ?? Date.now;
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: p });

    this.requests = new Counter({ name: `${p}requests_total`, help: 'Requests finished by the router, by status (ok|failed|degraded), request class and final error kind (none when ok).', labelNames: ['status', 'class', 'error_kind'], registers });
    this.requestDuration = new Histogram({ name: `${p}request_duration_seconds`, help: 'End-to-end routing time per request (every attempt, backoff and fallback).', labelNames: ['status', 'class'], buckets: REQUEST_BUCKETS_S, registers });
    this.attempts = new Counter({ name: `${p}attempts_total`, help: 'Provider attempts by arm, outcome (ok or error kind, cancelled) and role (first|retry|fallback|hedge|continuation|rewrite).', labelNames: ['arm', 'outcome', 'role'], registers });
    this.attemptDuration = new Histogram({ name: `${p}attempt_duration_seconds`, help: 'Provider attempt latency per arm; result is ok, error or cancelled.', labelNames: ['arm', 'result'], buckets: ATTEMPT_BUCKETS_S, registers });
    this.tokens = new Counter({ name: `${p}tokens_total`, help: 'Tokens reported by providers, by arm and type (input|output).', labelNames: ['arm', 'type'], registers });
    this.cost = new Counter({ name: `${p}cost_usd_total`, help: 'Provider cost in USD by tenant and arm.', labelNames: ['tenant', 'arm'], registers });
    this.decisions = new Counter({ name: `${p}selections_total`, help: 'Routing decisions by chosen arm; exploration=true when the policy explored.', labelNames: ['arm', 'exploration'], registers });
    this.fallbacks = new Counter({ name: `${p}fallbacks_total`, help: 'Fallbacks from one arm to another (to="none": no arm was left), by the error kind that caused them.', labelNames: ['from', 'to', 'reason'], registers });
    this.retries = new Counter({ name: `${p}retries_scheduled_total`, help: 'Retries on the same arm, by the error kind that caused them.', labelNames: ['arm', 'reason'], registers });
    this.retryBudgetExhausted = new Counter({ name: `${p}retry_budget_exhausted_total`, help: 'Requests that ended without a retry because the retry budget was spent, by the arm that could not be retried.', labelNames: ['arm'], registers });
    this.hedgesStarted = new Counter({ name: `${p}hedges_started_total`, help: 'Hedged second attempts started.', labelNames: ['primary', 'hedge'], registers });
    this.hedgesWon = new Counter({ name: `${p}hedges_won_total`, help: 'Hedge races decided, by winning and losing arm.', labelNames: ['winner', 'loser'], registers });
    this.continuations = new Counter({ name: `${p}continuations_total`, help: 'Continuation calls after a reply cut by the length limit.', labelNames: ['arm'], registers });
    this.streamSwitches = new Counter({ name: `${p}stream_switches_total`, help: 'Streamed answers that broke off (provider failed or stalled after sending text) and continued on another arm (or the same, retried).', labelNames: ['from', 'to'], registers });
    this.hungAttempts = new Counter({ name: `${p}hung_attempts_total`, help: "Attempts still running past k × the arm's recent P99, counted against the arm before their timeout.", labelNames: ['arm'], registers });
    this.cacheLookups = new Counter({
      name: `${p}cache_lookups_total`,
      help: 'Response cache lookups by stage (first: before routing; last_resort: every arm failed), result (hit|miss|error) and kind (exact|semantic|none).',
      labelNames: ['stage', 'result', 'kind'],
      registers,
    });
    this.cacheGuardRejections = new Counter({
      name: `${p}cache_guard_rejections_total`,
      help: 'Semantic cache misses where a neighbour was above the similarity threshold but a guard refused it, by guard (entity|number|currency|date|quoted|order|person|negation|question|unchecked|judge|judge_error).',
      labelNames: ['guard'],
      registers,
    });
    this.cacheWrites = new Counter({ name: `${p}cache_writes_total`, help: 'Checked answers offered to the response cache, by result (stored|skipped|error).', labelNames: ['result'], registers });
    this.answerChecks = new Counter({
      name: `${p}answer_checks_total`,
      help: 'Answers checked, by arm, class and result: pass, or the first failed check (empty|cut|refusal|json|schema|regex), with _rejected when the class rejected the answer.',
      labelNames: ['arm', 'class', 'result'],
      registers,
    });
    this.reductions = new Counter({
      name: `${p}context_reductions_total`,
      help: 'Prompts that fitted no eligible window and were reduced, by class, method (trim|summarize) and result: reduced, summary_failed (only trimmed), or too_large (the system prompt and last user turn alone do not fit; the request failed).',
      labelNames: ['class', 'method', 'result'],
      registers,
    });
    this.fallbackGuards = new Counter({
      name: `${p}fallback_guard_total`,
      help: 'Fallback answers judged by their class guard, by class, method (similarity|judge) and result: pass, fail (not published), skipped (too few accepted answers to compare with), error (could not judge: passed).',
      labelNames: ['class', 'method', 'result'],
      registers,
    });
    this.budgetRefusals = new Counter({ name: `${p}budget_refusals_total`, help: 'Budget reservations refused at call time (no provider call was made), by tenant and arm.', labelNames: ['tenant', 'arm'], registers });
    this.breakerTransitions = new Counter({ name: `${p}breaker_transitions_total`, help: 'Circuit breaker transitions by arm and new state.', labelNames: ['arm', 'to'], registers });

    const breakers = sources.breakers;
    const armsNow = typeof sources.arms === 'function' ? sources.arms : () => sources.arms as readonly { id: string }[];
    this.breakerState = new Gauge({
      name: `${p}breaker_state`,
      help: 'Circuit breaker state per arm: 0 closed, 1 half_open, 2 open.',
      labelNames: ['arm'],
      registers,
      collect() {
        // The registry brings open breakers whose open time is over to half_open (emitting the event).
        if (!breakers) return;
        // Only the arms of the table serving now: one a routing-table reload removed leaves the series.
        this.reset();
        for (const arm of armsNow()) this.set({ arm: arm.id }, 0);
        for (const b of breakers()) this.set({ arm: b.arm }, BREAKER_STATE_VALUE[b.state]);
      },
    });
    for (const arm of armsNow()) this.breakerState.set({ arm: arm.id }, 0);
    if (breakers) {
      new Gauge({
        name: `${p}breaker_failure_rate`,
        help: 'Failure share of the calls in the breaker window, per arm.',
        labelNames: ['arm'],
        registers,
        collect() {
          this.reset();
          for (const b of breakers()) this.set({ arm: b.arm }, b.failureRate);
        },
      });
    }
    this.registerTransport(p, registers);
    this.registerProcessor(p, registers);
    this.registerPublisher(p, registers);
    this.registerLag(p, registers);
    this.registerBudget(p, registers);
    this.registerCache(p, registers);
  }

  private registerCache(p: string, registers: Registry[]): void {
    const stats = this.sources.cache;
    if (!stats) return;
    new Gauge({
      name: `${p}cache_entries`,
      help: 'Entries in the response cache (exact: answers held by this replica, absent with Redis; vectors: semantic index size).',
      labelNames: ['store'],
      registers,
      collect() {
        const s = stats();
        if (s.entries !== undefined) this.set({ store: 'exact' }, s.entries);
        if (s.vectors !== undefined) this.set({ store: 'vectors' }, s.vectors);
      },
    });
    const evictions = () => {
      const s = stats();
      const out = new Map<string, number>([['exact_bound', s.evictions]]);
      if (s.vectorEvictions !== undefined) out.set('vectors_bound', s.vectorEvictions);
      if (s.forgotten !== undefined) out.set('bad_feedback', s.forgotten);
      return out;
    };
    labelledCounter(`${p}cache_evictions_total`, 'Response cache entries dropped, by reason: exact_bound / vectors_bound (beyond cache.maxEntries), bad_feedback (feedback judged the answer bad). Expiries are not counted.', registers, evictions, 'reason');
  }

  /** Subscribe this to the RouterEventBus. */
  readonly listener = (event: RouterEvent): void => {
    switch (event.type) {
      case 'request.started':
        if (this.open.size >= MAX_OPEN_REQUESTS) this.open.delete(this.open.keys().next().value!);
        this.open.set(event.requestId, { tenant: this.tenantLabel(event.tenant), requestClass: this.classLabel(event.requestClass) });
        return;
      case 'decision':
        this.decisions.inc({ arm: event.decision.chosen.id, exploration: String(event.decision.exploration) });
        this.selections.record(event.decision.chosen.id, event.at);
        return;
      case 'attempt.finished': {
        const o = event.outcome;
        this.attempts.inc({ arm: o.arm, outcome: o.kind, role: o.role ?? 'first' });
        this.attemptDuration.observe({ arm: o.arm, result: o.kind === 'ok' ? 'ok' : o.kind === 'cancelled' ? 'cancelled' : 'error' }, o.latencyMs / 1000);
        if (o.usage.inputTokens) this.tokens.inc({ arm: o.arm, type: 'input' }, o.usage.inputTokens);
        if (o.usage.outputTokens) this.tokens.inc({ arm: o.arm, type: 'output' }, o.usage.outputTokens);
        if (o.costUsd > 0) this.cost.inc({ tenant: this.open.get(event.requestId)?.tenant ?? 'unknown', arm: o.arm }, o.costUsd);
        return;
      }
      case 'fallback':
        this.fallbacks.inc({ from: event.from, to: event.to ?? 'none', reason: reasonLabel(event.reason) });
        return;
      case 'retry.scheduled':
        this.retries.inc({ arm: event.arm, reason: reasonLabel(event.reason) });
        return;
      case 'hedge.started':
        this.hedgesStarted.inc({ primary: event.primary, hedge: event.hedge });
        return;
      case 'hedge.won':
        this.hedgesWon.inc({ winner: event.winner, loser: event.loser });
        return;
      case 'continuation':
        this.continuations.inc({ arm: event.arm });
        return;
      case 'stream.switched':
        this.streamSwitches.inc({ from: event.from, to: event.to });
        return;
      case 'breaker.transition':
        this.breakerState.set({ arm: event.arm }, BREAKER_STATE_VALUE[event.to]);
        this.breakerTransitions.inc({ arm: event.arm, to: event.to });
        return;
      case 'request.finished':
        this.onFinished(event.requestId, event.result);
        return;
      case 'attempt.hung':
        this.hungAttempts.inc({ arm: event.arm });
        return;
      case 'answer.checked':
        this.answerChecks.inc({ arm: event.arm, class: this.classLabel(event.requestClass), result: event.failed.length === 0 ? 'pass' : `${event.failed[0].check}${event.rejected ? '_rejected' : ''}` });
        return;
      case 'cache.lookup':
        this.cacheLookups.inc({ stage: event.stage, result: event.result, kind: event.kind ?? 'none' });
        if (event.rejected) this.cacheGuardRejections.inc({ guard: event.rejected });
        return;
      case 'cache.stored':
        this.cacheWrites.inc({ result: event.result });
        return;
      case 'context.reduced': {
        const failedSummary = event.summary?.error !== undefined;
        this.reductions.inc({ class: this.classLabel(event.requestClass), method: failedSummary ? 'summarize' : event.method, result: !event.reduced ? 'too_large' : failedSummary ? 'summary_failed' : 'reduced' });
        if (event.summary?.costUsd) this.cost.inc({ tenant: this.open.get(event.requestId)?.tenant ?? 'unknown', arm: event.summary.arm }, event.summary.costUsd);
        return;
      }
      case 'fallback.guarded':
        this.fallbackGuards.inc({ class: this.classLabel(event.requestClass), method: event.verdict.method, result: event.verdict.result });
        if (event.verdict.arm && event.verdict.costUsd) this.cost.inc({ tenant: this.open.get(event.requestId)?.tenant ?? 'unknown', arm: event.verdict.arm }, event.verdict.costUsd);
        return;
      // The review stream counts its own records (fallback_reviews_total).
      case 'fallback.answered':
        return;
      case 'budget.refused':
        this.budgetRefusals.inc({ tenant: this.open.get(event.requestId)?.tenant ?? 'unknown', arm: event.arm });
        return;
      // Counted elsewhere: attempts when they finish, degraded requests by request.finished,
      // escalations from the processor's counter, spend by cost_usd_total and the budget gauges.
      case 'attempt.started':
      case 'degraded':
      case 'escalated':
      case 'budget.reserved':
      case 'budget.settled':
        return;
      // Dead credentials: a gauge read from the router's state (routing-credential-metrics.ts).
      case 'credentials.refused':
      case 'credentials.restored':
        return;
    }
  };

  attach(bus: { subscribe(listener: (event: RouterEvent) => void): () => void }): () => void {
    return bus.subscribe(this.listener);
  }

  /** Prometheus text exposition of every series. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Tenants seen so far (bounded by `maxTenants`), for budget headroom per tenant. */
  knownTenants(): string[] {
    return [...this.tenants];
  }

  private onFinished(requestId: string, result: RouteResult): void {
    const started = this.open.get(requestId);
    this.open.delete(requestId);
    const requestClass = started?.requestClass ?? 'unknown';
    const status = result.degraded ? 'degraded' : result.status;
    const failure = result.error ?? result.degradedFrom;
    this.requests.inc({ status, class: requestClass, error_kind: status === 'ok' ? 'none' : (failure?.kind ?? 'unknown') });
    this.requestDuration.observe({ status, class: requestClass }, result.latencyMs / 1000);
    // The core reports a spent retry budget only in the failure detail ("… retry budget spent …").
    if (failure?.message.includes('retry budget spent')) {
      const last = [...result.attempts].reverse().find((a) => a.kind !== 'ok' && a.kind !== 'cancelled');
      this.retryBudgetExhausted.inc({ arm: last?.arm ?? 'unknown' });
    }
  }

  private classLabel(requestClass: string): string {
    const known = this.sources.knownLabels?.();
    return known ? labelOf(requestClass, known.classes) : requestClass;
  }

  private tenantLabel(tenant: string): string {
    const known = this.sources.knownLabels?.();
    if (known && !known.tenants.has(tenant)) return OTHER_LABEL;
    if (this.tenants.has(tenant)) return tenant;
    if (this.tenants.size >= this.maxTenants) return OTHER_LABEL;
    this.tenants.add(tenant);
    return tenant;
  }

  private registerTransport(p: string, registers: Registry[]): void {
    const stats = this.sources.transport;
    if (!stats) return;
    new Gauge({
      name: `${p}in_flight_requests`,
      help: 'Requests taken from Kafka and not yet answered on this instance.',
      registers,
      collect() {
        this.set(stats().inFlight);
      },
    });
    new Gauge({
      name: `${p}consumer_running`,
      help: '1 while the request consumer is running, else 0.',
      registers,
      collect() {
        this.set(stats().state === 'running' ? 1 : 0);
      },
    });
    new Gauge({
      name: `${p}consumer_partitions`,
      help: 'Request-topic partitions assigned to this instance, and how many are paused by backpressure.',
      labelNames: ['state'],
      registers,
      collect() {
        const s = stats();
        this.set({ state: 'assigned' }, s.assignedPartitions.length);
        this.set({ state: 'paused' }, s.pausedPartitions.length);
        this.set({ state: 'stuck' }, s.stuckPartitions?.length ?? 0);
      },
    });
    new Gauge({
      name: `${p}oldest_in_flight_seconds`,
      help: 'Age of the oldest request taken from Kafka and not yet answered (0 when idle); its partition cannot commit past it.',
      registers,
      collect() {
        this.set((stats().oldestInFlightMs ?? 0) / 1000);
      },
    });
  }

  private registerPublisher(p: string, registers: Registry[]): void {
    const publisher = this.sources.publisher;
    const counters = this.sources.processor;
    if (publisher) {
      monotonicCounter(`${p}producer_renewals_total`, 'Kafka producers replaced after a failed send (a fresh producer id resets sequence numbers).', registers, () => publisher().producerRenewals);
      labelledCounter(`${p}publish_refused_total`, 'Records the broker refused for good (or that could never fit the topic), by reason; not retried.', registers, () => publisher().refused);
    }
    const feedback = this.sources.feedback;
    if (feedback) labelledCounter(`${p}feedback_total`, 'Feedback messages on the feedback topic, by result (applied|duplicate|unknown_request|not_served|invalid).', registers, feedback, 'result');
    if (counters) {
      monotonicCounter(`${p}requests_refused_total`, 'Requests refused before routing (a limit or a schema error) whose caller got a failure response.', registers, () => counters().refused ?? 0);
      monotonicCounter(`${p}answers_undeliverable_total`, 'Answers the reply topic refused; replaced by a failure response and a DLQ record.', registers, () => counters().undeliverable ?? 0);
    }
    const dropped = this.sources.recordsDropped;
    if (dropped) monotonicCounter(`${p}records_dropped_total`, 'Records nothing could be written for (the DLQ refused too); logged with the request id.', registers, dropped);
  }

  private registerProcessor(p: string, registers: Registry[]): void {
    const counters = this.sources.processor;
    if (counters) {
      monotonicCounter(`${p}replays_total`, 'Duplicate request ids answered again from the idempotency store (no provider call, no charge).', registers, () => counters().replayed);
    }
    const http = this.sources.frontDoor;
    if (http) monotonicCounter(`${p}http_replays_total`, 'Repeated Idempotency-Keys on the HTTP front door answered again from the idempotency store (no provider call, no charge).', registers, () => http().replayed);
    const reviews = this.sources.fallbackReviews;
    if (reviews) {
      labelledCounter(`${p}fallback_reviews_total`, 'Fallback answers copied to the review topic (FALLBACK_REVIEW_ENABLED), by result (published|failed).', registers, () => new Map(Object.entries(reviews())), 'result');
    }
    const escalated = this.sources.escalated;
    if (escalated) monotonicCounter(`${p}escalations_total`, 'Requests published to the escalation topic.', registers, escalated);
    const dlq = this.sources.dlqByReason;
    if (dlq) labelledCounter(`${p}dlq_records_total`, 'Records written to the dead-letter topic (acknowledged by the broker), by reason (invalid_json|undecodable|schema|oversize|limits|conflict|undeliverable|internal).', registers, dlq);
  }

  private registerLag(p: string, registers: Registry[]): void {
    const lag = this.sources.lag;
    if (!lag) return;
    const now = this.now;
    new Gauge({
      name: `${p}consumer_lag`,
      help: 'Records not yet committed by the router group per request-topic partition (high watermark − committed offset); refreshed at most every 10 s.',
      labelNames: ['topic', 'partition'],
      registers,
      async collect() {
        const snapshot = await lag.probe.get();
        if (!snapshot) return;
        this.reset();
        for (const part of snapshot.partitions) this.set({ topic: lag.topic, partition: String(part.partition) }, part.lag);
      },
    });
    new Gauge({
      name: `${p}consumer_lag_age_seconds`,
      help: 'Age of the consumer lag reading (it is cached to bound the cost of scrapes).',
      registers,
      async collect() {
        const snapshot = await lag.probe.get();
        if (snapshot) this.set((now() - snapshot.at) / 1000);
      },
    });
  }

  /** Budget gauges exist only when a budget guard is wired (`introspection.budgetHeadroom`). */
  private registerBudget(p: string, registers: Registry[]): void {
    const headroom = this.sources.introspection?.budgetHeadroom?.bind(this.sources.introspection);
    if (!headroom) return;
    const tenants = () => this.knownTenants();
    const lines = () => {
      const out = new Map<string, { tenant: string; window: string; capUsd: number; usedUsd: number; remainingUsd: number; costWeight: number }>();
      for (const line of [headroom(), ...tenants().map((t) => headroom(t))].flat()) {
        const tenant = tenantOfLine(line) ?? '_global';
        out.set(`${tenant}\u0000${line.window}`, { tenant, window: line.window, capUsd: line.capUsd, usedUsd: line.usedUsd, remainingUsd: line.remainingUsd, costWeight: line.costWeight ?? 1 });
      }
      return [...out.values()];
    };
    const gauge = (name: string, help: string, field: 'capUsd' | 'usedUsd' | 'remainingUsd' | 'costWeight') =>
      new Gauge({
        name: `${p}${name}`,
        help,
        labelNames: ['tenant', 'window'],
        registers,
        collect() {
          this.reset();
          for (const line of lines()) this.set({ tenant: line.tenant, window: line.window }, line[field]);
        },
      });
    gauge('budget_spent_usd', 'Spend (settled + reserved) in the current budget window, per tenant (_global: the global cap) and window.', 'usedUsd');
    gauge('budget_remaining_usd', 'Headroom left under the cap in the current budget window, per tenant and window.', 'remainingUsd');
    gauge('budget_cap_usd', 'Budget cap per tenant and window.', 'capUsd');
    gauge('budget_cost_weight', '1 + the pacer\'s price of a dollar of this cap (tenant and window): 1 while the cap does not bind, higher while spend runs ahead of an even plan of what is left over the rest of the window.', 'costWeight');
  }
}

/** A counter that follows a monotonic number read at scrape time. */
function monotonicCounter(name: string, help: string, registers: Registry[], read: () => number): void {
  let seen = 0;
  new Counter({
    name,
    help,
    registers,
    collect() {
      const now = read();
      if (now > seen) this.inc(now - seen);
      seen = now;
    },
  });
}

/** A counter with one label (`reason` unless named) that follows monotonic numbers read at scrape time. */
function labelledCounter(name: string, help: string, registers: Registry[], read: () => ReadonlyMap<string, number>, label = 'reason'): void {
  const seen = new Map<string, number>();
  new Counter({
    name,
    help,
    labelNames: [label],
    registers,
    collect() {
      for (const [value, n] of read()) {
        const before = seen.get(value) ?? 0;
        if (n > before) this.inc({ [label]: value }, n - before);
        seen.set(value, n);
      }
    },
  });
}
