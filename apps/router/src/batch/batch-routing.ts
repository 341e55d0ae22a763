import { Logger } from '@nestjs/common';
import { context as otelContext, trace, type Link, type Span, type Tracer } from '@opentelemetry/api';
import type { BatchMode, RequestV1 } from '@switchyard/contracts';
import {
  costUsd,
  isClosed,
  resolveValue,
  type ArmConfig,
  type BatchItemResult,
  type BatchLedger,
  type BatchPort,
  type BatchRecord,
  type AnswerChecks,
  type BudgetGuard,
  type BudgetReservation,
  type Clock,
  type CompletionTimeLearner,
  type IdempotencyStore,
  type Router,
  type StoredAnswer,
  type ValueParams,
} from '@switchyard/core';
import { extractTraceContext, traceHeaders } from '@switchyard/telemetry';
import type { AnswerPipeline } from '../pipeline/answer-pipeline';
import { deliver, type Publisher } from '../pipeline/kafka-delivery';
import { REQUEST_HASH_HEADER, requestHash } from '../pipeline/request-hash';
import { toRouteRequest } from '../pipeline/response-builder';
import { batchResponse, toBatchRequest } from './batch-answer';
import { chooseBatch, type BatchChoice } from './batch-choice';
import { BatchCollector, type Collected } from './batch-collector';
import { BatchStats } from './batch-stats';
import { deadlineOf } from './deadline';
import type { ParkedRequest, ParkedRequests } from './parked-requests';

export interface BatchRoutingSettings {
  maxRequests: number;
  maxAgeMs: number;
  pollIntervalMs: number;
  liveBudgetMs: number;
  priceFactor: number;
  /** Deadline of a request that gives none (the router's default): usually too close for a batch. */
  defaultDeadlineMs: number;
  responsesTopic: string;
}

/** What the batch path runs on: opened at start (the Kafka ledger and parking read their topics first). */
export interface BatchState {
  ledger: BatchLedger;
  parked: ParkedRequests;
  close(): Promise<void>;
}

export interface BatchRoutingOptions {
  settings: BatchRoutingSettings;
  router: Pick<Router, 'quote'>;
  /** Live answers of rescued requests go through the usual pipeline (idempotency store, fallbacks, tracing). */
  pipeline: Pick<AnswerPipeline, 'answer'>;
  store: IdempotencyStore;
  publisher: Publisher;
  clock: Clock;
  learner: CompletionTimeLearner;
  /** The arm of an id in the routing table serving now. */
  arm: (armId: string) => ArmConfig | undefined;
  /** The class's default `batch` mode and value settings. */
  classOf: (name: string) => { batch?: BatchMode; valueUsd?: number; latencyUsdPerSecond?: number } | undefined;
  /** The batch API of an arm's provider endpoint (undefined: none). */
  port: (arm: ArmConfig) => BatchPort | undefined;
  open: () => Promise<BatchState>;
  budget?: BudgetGuard;
  tracer?: Tracer;
  /** The classes' answer checks: a batch answer a rejecting class's checks fail is answered live instead. */
  answerChecks?: Pick<AnswerChecks, 'rejects' | 'run'>;
}

/** An open batch as /health/routing lists it. */
export interface OpenBatchView {
  id: string;
  arm: string;
  requests: number;
  unsettled: number;
  ageMs: number;
  end?: string;
}

interface Entry {
  parked: ParkedRequest;
  arm: ArmConfig;
  rescueAt: number;
}

const logger = new Logger('Batch');

/**
 * The batch path of issue 24, beside the live one: decides per request (live option against the
 * batch option, chooseBatch), collects the requests chosen for batch per provider endpoint and
 * model, submits them through the provider's batch API and records the batch in the ledger before
 * the request's offset is committed; then polls open batches, publishes each result once through
 * the idempotency store, and answers live (the usual pipeline) every request whose batch is late,
 * failed, expired or gave no answer for it. Any replica resumes the open batches of the ledger.
 */
export class BatchRouting {
  readonly stats = new BatchStats();
  private state?: BatchState;
  private readonly collector: BatchCollector<Entry>;
  /** Request id → the batch holding it (open batches of the ledger and those submitted here). */
  private readonly batchOf = new Map<string, string>();
  /** Requests being answered live right now: a result arriving meanwhile is discarded. */
  private readonly rescuing = new Set<string>();
  /** Requests whose batch answer is being stored and published right now: no rescue starts for them. */
  private readonly answering = new Set<string>();
  /** Per open batch, a timer at its next rescue time: rescues start on time, not at the next poll. */
  private readonly rescueTimers = new Map<string, NodeJS.Timeout>();
  private readonly tasks = new Set<Promise<unknown>>();
  private readonly reservations = new Map<string, BudgetReservation>();
  /** One span per batch, open while this process polls it. */
  private readonly spans = new Map<string, Span>();
  private openView: Array<Omit<OpenBatchView, 'ageMs'> & { submittedAt: number }> = [];
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private readonly tracer: Tracer;

  constructor(private readonly options: BatchRoutingOptions) {
    const { settings } = options;
    this.tracer = options.tracer ?? trace.getTracer('@switchyard/router-batch');
    this.collector = new BatchCollector<Entry>({ maxRequests: settings.maxRequests, maxAgeMs: settings.maxAgeMs, submit: (_, entries) => this.submit(entries) });
  }

  /** Opens the ledger and the parked requests, then polls (at once: a restarted replica resumes its open batches). */
  async start(): Promise<void> {
    this.state = await this.options.open();
    for (const batch of await this.state.ledger.open()) this.index(batch);
    this.timer = setInterval(() => void this.poll(), this.options.settings.pollIntervalMs);
    this.timer.unref();
    void this.poll();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const t of this.rescueTimers.values()) clearTimeout(t);
    this.rescueTimers.clear();
    await this.collector.flushAll();
    await this.polling;
    await Promise.allSettled([...this.tasks]);
    for (const span of this.spans.values()) span.end();
    await this.state?.close();
  }

  /** The request's batch mode: its own `routing.batch`, else its class's, else never. */
  modeOf(request: RequestV1): BatchMode {
    // A streamed answer is wanted as it is written: a batch has nothing to stream.
    if (request.stream) return 'never';
    return request.routing.batch ?? this.options.classOf(request.class)?.batch ?? 'never';
  }

  wants(request: RequestV1): boolean {
    return this.state !== undefined && this.modeOf(request) !== 'never';
  }

  /**
   * Takes the request for a batch when its mode and the decision say so; resolves true once it is
   * in a submitted batch recorded in the ledger (its answer comes later), false when the live path
   * answers it now. Requests of mode never return false at once.
   */
  async offer(request: RequestV1, headers: Record<string, string>): Promise<boolean> {
    const mode = this.modeOf(request);
    if (mode === 'never' || !this.state) return false;
    const known = this.batchOf.get(request.id);
    if (known) {
      // A redelivery of a request already in a batch: its answer comes from there (or its rescue).
      const batch = await this.state.ledger.get(known);
      if (batch && batch.settled[request.id] === undefined) {
        logger.log(`request ${request.id} is already in batch ${known}: its answer comes from there`);
        return true;
      }
    }
    if (await this.options.store.get(request.id)) return false;
    const now = this.options.clock.now();
    const routeRequest = toRouteRequest(request);
    const quote = this.options.router.quote(routeRequest);
    if (!quote) return false;
    const deadline = deadlineOf(request.routing, now) ?? now + this.options.settings.defaultDeadlineMs;
    const value: ValueParams = quote.value ?? resolveValue(routeRequest.routing.objective, this.options.classOf(request.class), routeRequest.routing);
    const choice = chooseBatch({
      request: routeRequest,
      mode,
      quote,
      value,
      armOf: this.options.arm,
      batchCapable: (arm) => this.options.port(arm) !== undefined,
      completion: (armId) => this.options.learner.model(armId),
      priceFactor: this.options.settings.priceFactor,
      deadlineMs: deadline - now,
      liveBudgetMs: this.options.settings.liveBudgetMs,
    });
    const span = this.tracer.startSpan('switchyard.batch.decision', { attributes: decisionAttributes(request, choice) }, extractTraceContext(headers));
    try {
      if (choice.via === 'live' || !choice.batch) return false;
      const arm = choice.batch.arm;
      const port = this.options.port(arm)!;
      const parked: ParkedRequest = { request, receivedAt: now, trace: traceHeaders(trace.setSpan(otelContext.active(), span)) };
      let collected: Collected;
      try {
        collected = await this.collector.add(`${arm.provider}\u0000${arm.model}`, port.limits.maxRequests, { parked, arm, rescueAt: deadline - this.options.settings.liveBudgetMs });
      } catch (err) {
        this.stats.rescue('submit_failed');
        logger.warn(`request ${request.id}: batch submission failed, answering live: ${(err as Error).message}`);
        span.setAttribute('switchyard.batch.submit_error', (err as Error).message);
        return false;
      }
      span.setAttribute('switchyard.batch.collected', collected);
      return collected === 'batched';
    } finally {
      span.end();
    }
  }

  /** Open batches with their age, oldest first (as of the last poll or submission). */
  openBatches(): OpenBatchView[] {
    const now = this.options.clock.now();
    return this.openView.map(({ submittedAt, ...b }) => ({ ...b, ageMs: now - submittedAt }));
  }

  get waiting(): number {
    return this.collector.waiting;
  }

  /** One batch of one provider endpoint and model: parked, budgeted, submitted, recorded; in that order. */
  private async submit(entries: Entry[]): Promise<Collected[]> {
    const { ledger, parked } = this.state!;
    const arm = entries[0].arm;
    const port = this.options.port(arm)!;
    const result: Collected[] = entries.map(() => 'live');
    const going: Entry[] = [];
    for (const [i, e] of entries.entries()) {
      const reservation = await this.reserve(e);
      if (reservation === false) {
        this.stats.rescue('budget');
        continue;
      }
      if (reservation) this.reservations.set(e.parked.request.id, reservation);
      going.push(e);
      result[i] = 'batched';
    }
    if (going.length === 0) return result;
    try {
      await parked.put(going.map((e) => e.parked));
      const batchId = await port.submit(arm, going.map((e) => toBatchRequest(e.parked.request)));
      const record = {
        batchId,
        armId: arm.id,
        requestIds: going.map((e) => e.parked.request.id),
        submittedAt: this.options.clock.now(),
        rescueAt: Object.fromEntries(going.map((e) => [e.parked.request.id, e.rescueAt])),
      };
      await ledger.record(record);
      this.index({ ...record, settled: {} });
      await this.refreshView();
      this.openSpan(record.batchId, arm, going.map((e) => e.parked));
      this.stats.batched += going.length;
      this.stats.sizes.push(going.length);
      logger.log(`batch ${batchId} submitted on ${arm.id}: ${going.length} requests`);
      return result;
    } catch (err) {
      for (const e of going) void this.releaseBudget(e.parked.request.id);
      throw err;
    }
  }

  /** A reservation at the batch price (false: the budget refuses; undefined: no budget). */
  private async reserve(e: Entry): Promise<BudgetReservation | false | undefined> {
    const { budget, settings } = this.options;
    if (!budget) return undefined;
    const f = settings.priceFactor;
    const atBatchPrice = { ...e.arm, pricing: { inputPer1M: e.arm.pricing.inputPer1M * f, outputPer1M: e.arm.pricing.outputPer1M * f } };
    const r = await budget.reserve(toRouteRequest(e.parked.request), atBatchPrice);
    return r.ok ? r : false;
  }

  private async releaseBudget(requestId: string, actualUsd?: number): Promise<void> {
    const reservation = this.reservations.get(requestId);
    if (!reservation || !this.options.budget) return;
    this.reservations.delete(requestId);
    await (actualUsd !== undefined && actualUsd > 0 ? this.options.budget.settle(reservation, actualUsd) : this.options.budget.release(reservation)).catch(() => undefined);
  }

  /** One pass over the open batches (never two at once). */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce()
      .catch((err: unknown) => logger.warn(`batch poll failed: ${(err as Error).message}`))
      .finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    const { ledger } = this.state!;
    const open = await ledger.open();
    // Side by side: one slow batch must not hold back another's rescue times.
    await Promise.all(
      open.map(async (batch) => {
        this.index(batch);
        try {
          await this.pollBatch(batch);
        } catch (err) {
          logger.warn(`batch ${batch.batchId}: poll failed: ${(err as Error).message}`);
        }
      }),
    );
    await this.refreshView();
  }

  private async pollBatch(batch: BatchRecord): Promise<void> {
    const now = this.options.clock.now();
    const arm = this.options.arm(batch.armId);
    const port = arm && this.options.port(arm);
    const waiting = batch.requestIds.filter((id) => batch.settled[id] === undefined && !this.rescuing.has(id));
    if (!arm || !port) {
      // The arm left the routing table: nothing can read its batch any more.
      this.rescue(batch, waiting, 'missing');
      return;
    }
    const parked = this.state!.parked;
    const polled = await port.poll(arm, batch.batchId, { requestOf: (id) => { const p = parked.get(id); return p && toBatchRequest(p.request); } });
    if (polled.state !== 'ended') {
      this.rescue(batch, waiting.filter((id) => now >= batch.rescueAt[id]), 'deadline');
      // Every request answered live: what the batch would still do is paid for and thrown away.
      if (polled.state === 'in_progress' && batch.requestIds.every((id) => batch.settled[id] !== undefined || this.rescuing.has(id))) {
        await port.cancel(arm, batch.batchId).catch((err: unknown) => logger.warn(`batch ${batch.batchId}: cancel failed: ${(err as Error).message}`));
      }
      return;
    }
    const firstSeenEnded = batch.end === undefined;
    // Taken before the batch span ends: each answer's span links to it.
    const links = this.linkTo(batch.batchId);
    if (firstSeenEnded) {
      await this.state!.ledger.end(batch.batchId, polled.end);
      this.options.learner.observe(arm.id, now - batch.submittedAt, polled.end === 'expired');
      this.stats.completionMs.push(now - batch.submittedAt);
      const span = this.spans.get(batch.batchId) ?? this.openSpan(batch.batchId, arm, [], true);
      span.setAttributes({ 'switchyard.batch.end': polled.end, 'switchyard.batch.results': polled.results.length });
      span.end();
      this.spans.delete(batch.batchId);
    }
    const results = new Map<string, BatchItemResult>(polled.results.map((r) => [r.requestId, r]));
    const late: string[] = [];
    if (firstSeenEnded) {
      for (const id of batch.requestIds) {
        const r = results.get(id);
        if (r?.outcome === 'succeeded' && (batch.settled[id] === 'live' || this.rescuing.has(id))) this.stats.lateDiscarded++;
      }
    }
    const answers: Array<Promise<string | undefined>> = [];
    for (const id of waiting) {
      const r = results.get(id);
      if (r?.outcome === 'succeeded' && now < batch.rescueAt[id]) {
        if (this.failsChecks(id, r.reply)) this.rescue(batch, [id], 'check_failed');
        else answers.push(this.publishAnswer(batch, arm, id, r.reply, links));
      } else if (r?.outcome === 'succeeded') {
        this.stats.lateDiscarded++;
        late.push(id);
      } else this.rescue(batch, [id], r ? r.outcome : polled.end === 'completed' ? 'missing' : `batch_${polled.end}`);
    }
    this.rescue(batch, late, 'deadline');
    // Settled after publishing (a crash in between re-publishes the stored bytes), in one ledger write.
    const published = (await Promise.all(answers)).filter((id): id is string => id !== undefined);
    if (published.length === 0) return;
    try {
      await this.state!.ledger.settle(batch.batchId, published, 'batch');
    } finally {
      for (const id of published) this.answering.delete(id);
    }
    await this.state!.parked.forget(published);
  }

  /** As the live path does for a class that rejects failed answers: the answer is not published. */
  private failsChecks(requestId: string, reply: Parameters<typeof batchResponse>[0]['reply']): boolean {
    const checks = this.options.answerChecks;
    const parked = this.state!.parked.get(requestId);
    if (!checks || !parked || !checks.rejects(parked.request.class)) return false;
    return checks.run(toRouteRequest(parked.request), reply.text, reply.finishReason).length > 0;
  }

  /** Stores the batch's answer (first one wins) and publishes what is stored; resolves to the id once published. */
  private async publishAnswer(batch: BatchRecord, arm: ArmConfig, requestId: string, reply: Parameters<typeof batchResponse>[0]['reply'], links: Link[]): Promise<string | undefined> {
    if (this.rescuing.has(requestId)) return undefined;
    const parked = this.state!.parked.get(requestId);
    if (!parked) {
      this.rescue(batch, [requestId], 'missing');
      return undefined;
    }
    this.answering.add(requestId);
    let published = false;
    const { request } = parked;
    const now = this.options.clock.now();
    const span = this.tracer.startSpan('switchyard.batch.answer', { links, attributes: { 'switchyard.request.id': requestId, 'switchyard.batch.id': batch.batchId } }, extractTraceContext(parked.trace));
    const headers = traceHeaders(trace.setSpan(otelContext.active(), span));
    const response = batchResponse({ request, arm, reply, batchId: batch.batchId, waitMs: now - parked.receivedAt, priceFactor: this.options.settings.priceFactor, traceId: span.spanContext().traceId });
    const hash = requestHash(request);
    const answer: StoredAnswer = {
      requestId,
      tenant: request.tenant,
      topic: request.replyTopic ?? this.options.settings.responsesTopic,
      value: Buffer.from(JSON.stringify(response)),
      headers: { 'content-type': 'application/json', ...headers, [REQUEST_HASH_HEADER]: hash },
      requestHash: hash,
    };
    try {
      const stored = await storeFirst(this.options.store, answer);
      await deliver(this.options.publisher, { topic: stored.topic, key: requestId, value: Buffer.from(stored.value), headers: stored.headers }, logger);
      this.stats.answeredByBatch++;
      this.stats.savingsUsd += costUsd(arm, reply.usage) * (1 - this.options.settings.priceFactor);
      await this.releaseBudget(requestId, response.usage.costUsd);
      published = true;
      return requestId;
    } finally {
      // Once published, it stays `answering` until settled (pollBatch), so no rescue slips in between.
      if (!published) this.answering.delete(requestId);
      span.end();
    }
  }

  /** Answers `ids` live through the usual pipeline, each once, in the background; settles each as live once published. */
  private rescue(batch: BatchRecord, ids: readonly string[], reason: string): void {
    for (const id of ids) {
      if (this.rescuing.has(id) || this.answering.has(id)) continue;
      const parked = this.state!.parked.get(id);
      if (!parked) {
        logger.error(`batch ${batch.batchId}: request ${id} is not among the parked requests; it cannot be answered`);
        continue;
      }
      this.rescuing.add(id);
      this.stats.rescue(reason);
      const task = (async () => {
        const { answer } = await this.options.pipeline.answer({ request: parked.request, parent: extractTraceContext(parked.trace), attributes: { 'switchyard.batch.rescue': reason, 'switchyard.batch.id': batch.batchId } });
        await deliver(this.options.publisher, { topic: answer.topic, key: id, value: Buffer.from(answer.value), headers: answer.headers }, logger);
        await this.state!.ledger.settle(batch.batchId, [id], 'live');
        await this.state!.parked.forget([id]);
        await this.releaseBudget(id);
      })()
        .catch((err: unknown) => logger.warn(`request ${id}: live rescue failed, retried at the next poll: ${(err as Error).message}`))
        .finally(() => {
          this.rescuing.delete(id);
          this.tasks.delete(task);
        });
      this.tasks.add(task);
    }
  }

  private index(batch: BatchRecord): void {
    if (isClosed(batch)) return;
    for (const id of batch.requestIds) this.batchOf.set(id, batch.batchId);
    this.armRescueTimer(batch);
  }

  /** Arms the batch's timer at the earliest rescue time of a request not yet answered. */
  private armRescueTimer(batch: BatchRecord): void {
    if (this.rescueTimers.has(batch.batchId) || !this.state) return;
    const next = Math.min(...batch.requestIds.filter((id) => batch.settled[id] === undefined && !this.rescuing.has(id)).map((id) => batch.rescueAt[id]));
    if (!Number.isFinite(next)) return;
    const timer = setTimeout(() => void this.rescueDue(batch.batchId), Math.max(0, next - this.options.clock.now()));
    timer.unref();
    this.rescueTimers.set(batch.batchId, timer);
  }

  private async rescueDue(batchId: string): Promise<void> {
    this.rescueTimers.delete(batchId);
    const batch = await this.state?.ledger.get(batchId);
    if (!batch || isClosed(batch)) return;
    const now = this.options.clock.now();
    this.rescue(batch, batch.requestIds.filter((id) => batch.settled[id] === undefined && !this.answering.has(id) && now >= batch.rescueAt[id]), 'deadline');
    this.armRescueTimer(batch);
  }

  private openSpan(batchId: string, arm: ArmConfig, parked: readonly ParkedRequest[], resumed = false): Span {
    const links: Link[] = parked.flatMap((p) => {
      const sc = trace.getSpanContext(extractTraceContext(p.trace));
      return sc ? [{ context: sc }] : [];
    });
    const span = this.tracer.startSpan('switchyard.batch', { root: true, links, attributes: { 'switchyard.batch.id': batchId, 'switchyard.arm': arm.id, 'switchyard.batch.size': parked.length, ...(resumed ? { 'switchyard.batch.resumed': true } : {}) } });
    this.spans.set(batchId, span);
    return span;
  }

  private linkTo(batchId: string): Link[] {
    const span = this.spans.get(batchId);
    return span ? [{ context: span.spanContext() }] : [];
  }

  private async refreshView(): Promise<void> {
    const open = await this.state!.ledger.open();
    // Only open batches' requests are remembered: a closed batch's redelivered request is replayed from the store.
    const still = new Set(open.map((b) => b.batchId));
    const gone = new Set<string>();
    for (const batchId of new Set(this.batchOf.values())) {
      if (still.has(batchId)) continue;
      const record = await this.state!.ledger.get(batchId);
      if (record && isClosed(record)) gone.add(batchId);
    }
    for (const [id, batchId] of this.batchOf) if (gone.has(batchId)) this.batchOf.delete(id);
    this.openView = open.map((b) => ({ id: b.batchId, arm: b.armId, requests: b.requestIds.length, unsettled: b.requestIds.filter((id) => b.settled[id] === undefined).length, submittedAt: b.submittedAt, ...(b.end ? { end: b.end } : {}) }));
  }
}

function decisionAttributes(request: RequestV1, choice: BatchChoice): Record<string, string | number> {
  const b = choice.batch;
  return {
    'switchyard.request.id': request.id,
    'switchyard.batch.mode': choice.mode,
    'switchyard.batch.via': choice.via,
    'switchyard.batch.why': choice.why,
    'switchyard.batch.live.arm': choice.live.arm.id,
    'switchyard.batch.live.value_usd': choice.live.value,
    ...(b
      ? {
          'switchyard.batch.batch.arm': b.arm.id,
          'switchyard.batch.batch.value_usd': Number.isFinite(b.decision.batchValue) ? b.decision.batchValue : -1e9,
          'switchyard.batch.p_in_time': b.decision.pInTime,
          'switchyard.batch.cutoff_ms': b.decision.cutoffMs,
        }
      : {}),
  };
}

interface FirstWriterWins {
  putFirst(answer: StoredAnswer): Promise<StoredAnswer>;
}

/** The answer stored for the id: this one, or the one another replica (or a rescue) stored first. */
async function storeFirst(store: IdempotencyStore, answer: StoredAnswer): Promise<StoredAnswer> {
  if (typeof (store as Partial<FirstWriterWins>).putFirst === 'function') return (store as unknown as FirstWriterWins).putFirst(answer);
  const existing = await store.get(answer.requestId);
  if (existing) return existing;
  await store.put(answer);
  return answer;
}
