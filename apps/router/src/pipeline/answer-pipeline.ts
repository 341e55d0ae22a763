import type { Attributes, Context, SpanKind } from '@opentelemetry/api';
import type { RequestV1, ResponseV1 } from '@switchyard/contracts';
import type { IdempotencyStore, Router, StoredAnswer, StreamSink } from '@switchyard/core';
import { RouterTracing } from '@switchyard/telemetry';
import { claimOrAwait, isClaimingStore, keepClaim } from './routing-claim';
import { ANSWERED_AT_HEADER, REQUEST_HASH_HEADER, requestHash } from './request-hash';
import { toResponseV1, toRouteRequest } from './response-builder';

export interface AnswerInput {
  request: RequestV1;
  /** Where the trace continues from: a Kafka record's or an HTTP request's `traceparent`. */
  parent?: Context;
  /** Edge attributes of the request span (messaging.* for Kafka, http.* for the front door). */
  attributes?: Attributes;
  /** Of the request span: CONSUMER (Kafka, the default) or SERVER (HTTP). */
  spanKind?: SpanKind;
  /** Receives the answer's text as it arrives (an HTTP `stream: true` request); absent: no streaming. */
  stream?: StreamSink;
  /** Told the request's trace id once its trace starts, before any provider call (a streaming edge sends it as a header). */
  onTrace?: (traceId: string | undefined) => void;
  /**
   * Store the answer under the request id (default true). An HTTP request without an
   * Idempotency-Key has a one-off id nobody can repeat: storing it would only fill the store.
   */
  remember?: boolean;
}

export interface AnswerOutput {
  /** What is stored (and what Kafka publishes): the response's bytes, topic and headers. */
  answer: StoredAnswer;
  /** The same response as an object, for an edge that writes something else (the HTTP front door). */
  response: ResponseV1;
  /** Answered from the store or from another caller's routing of the same id: no provider call. */
  replayed: boolean;
  /**
   * The id was already used for a request with another body (`answer` is that request's answer,
   * never to be handed out): Kafka dead-letters it as `conflict`, the front door answers 422.
   */
  bodyMismatch?: boolean;
}

export interface AnswerPipelineOptions {
  /** The topic a stored answer names when the request has no reply topic. */
  responsesTopic: string;
  tracing?: RouterTracing;
  /** This replica, as the owner of routing claims in a shared store. */
  replica?: string;
  /** Called before the answer is stored when the router says a human should look (Kafka: llm.escalations). */
  escalate?: (request: RequestV1, response: ResponseV1, reason: string, traceHeaders: Record<string, string>) => Promise<void>;
}

/**
 * The part of answering a request every edge shares: the stored answer for its id, or one routing
 * (concurrent duplicates share it; a shared store's claim keeps replicas from routing it twice),
 * traced, turned into response v1 and stored. The Kafka processor publishes what this returns; the
 * HTTP front door writes it (or has streamed it) to the caller. Each edge counts its own answers.
 */
export class AnswerPipeline {
  private readonly inFlight = new Map<string, Promise<Answered>>();
  private readonly tracing: RouterTracing;
  private readonly replica: string;

  constructor(
    private readonly router: Router,
    private readonly store: IdempotencyStore,
    private readonly options: AnswerPipelineOptions,
  ) {
    this.tracing = options.tracing ?? new RouterTracing();
    this.replica = options.replica ?? 'local';
  }

  answer(input: AnswerInput): Promise<AnswerOutput> {
    const { request } = input;
    const remember = input.remember ?? true;
    // Only a remembered id can be reused; a one-off id needs no binding to its body.
    const hash = remember ? requestHash(request) : undefined;
    const running = this.inFlight.get(request.id);
    if (running) return running.then((done) => ({ ...done, replayed: true, ...mismatch(done.answer.requestHash, hash) }));
    let replayed = false;
    const work = (async (): Promise<Answered> => {
      const stored = remember ? await this.store.get(request.id) : undefined;
      if (stored) {
        replayed = true;
        return fromStore(stored);
      }
      let releaseClaim: () => void = () => undefined;
      if (remember && isClaimingStore(this.store)) {
        const theirs = await claimOrAwait(this.store, request.id, this.replica);
        if (theirs) {
          replayed = true;
          return fromStore(theirs);
        }
        releaseClaim = keepClaim(this.store, request.id);
      }
      const routeRequest = toRouteRequest(request);
      // The caller's trace continues here; a replay (above) keeps the trace of the first answer.
      const trace = this.tracing.startRequest(routeRequest, { parent: input.parent, attributes: input.attributes, kind: input.spanKind });
      input.onTrace?.(trace.traceId);
      try {
        const result = await trace.run(() => this.router.route(routeRequest, undefined, input.stream ? { stream: input.stream } : undefined));
        const response = toResponseV1(request, result, trace.traceId);
        // Before the answer is stored, so a replay from the store never escalates twice.
        if (result.escalate && this.options.escalate) await this.options.escalate(request, response, result.escalate.reason, trace.headers());
        const answer: StoredAnswer = {
          requestId: request.id,
          tenant: request.tenant,
          topic: request.replyTopic ?? this.options.responsesTopic,
          value: Buffer.from(JSON.stringify(response)),
          headers: { 'content-type': 'application/json', ...trace.headers(), ...(hash ? { [REQUEST_HASH_HEADER]: hash } : {}), [ANSWERED_AT_HEADER]: String(Date.now()) },
          ...(hash ? { requestHash: hash } : {}),
        };
        if (!remember) return { answer, response };
        // Stored before publishing: if the process dies in between, the redelivery is answered
        // from the store (or the response log) instead of calling a provider again.
        // A shared store may already hold another replica's answer for this id (both routed it
        // around a rebalance): publish that one, so duplicates stay byte-identical.
        if (hasPutFirst(this.store)) {
          const first = await this.store.putFirst(answer);
          return first === answer ? { answer, response } : fromStore(first);
        }
        await this.store.put(answer);
        return { answer, response };
      } finally {
        releaseClaim();
        trace.end();
      }
    })().finally(() => this.inFlight.delete(request.id));
    this.inFlight.set(request.id, work);
    return work.then((done) => ({ ...done, replayed, ...mismatch(done.answer.requestHash, hash) }));
  }
}

interface Answered {
  answer: StoredAnswer;
  response: ResponseV1;
}

/** A stored answer holds the response's bytes only (it may come from another replica or the response log). */
function fromStore(answer: StoredAnswer): Answered {
  return { answer, response: JSON.parse(Buffer.from(answer.value).toString('utf8')) as ResponseV1 };
}

/** A body mismatch when both hashes are known and differ (an answer stored without one is replayed as before). */
function mismatch(stored: string | undefined, incoming: string | undefined): { bodyMismatch?: true } {
  return stored !== undefined && incoming !== undefined && stored !== incoming ? { bodyMismatch: true } : {};
}

/** An IdempotencyStore shared by replicas where the first stored answer for an id wins. */
interface FirstWriterWins {
  putFirst(answer: StoredAnswer): Promise<StoredAnswer>;
}

function hasPutFirst(store: IdempotencyStore): store is IdempotencyStore & FirstWriterWins {
  return typeof (store as Partial<FirstWriterWins>).putFirst === 'function';
}
