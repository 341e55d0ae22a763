import { Logger } from '@nestjs/common';
import { decodeRequest, type Caller, type DlqReason, type EscalationRecord, type RequestLimits, type RequestV1, type ResponseV1, type TopicNames } from '@switchyard/contracts';
import type { IdempotencyStore, Router, StoredAnswer } from '@switchyard/core';
import { extractTraceContext, RouterTracing } from '@switchyard/telemetry';
import type { InboundMessage } from '../kafka/inbound-message';
import type { OutboundRecord } from '../kafka/batching-publisher';
import { messagingAttributes } from '../telemetry/messaging-attributes';
import { isPublishRefused } from '../kafka/publish-errors';
import type { ReplyTopicCheck, ReplyTopicGate } from '../kafka/reply-topics';
import { dlqKey, toDlqRecord } from './dlq-record';
import { claimOrAwait, isClaimingStore, keepClaim } from './routing-claim';
import { refusalResponse, toResponseV1, toRouteRequest, type RefusalKind } from './response-builder';

export interface Publisher {
  /** Rejects with PublishRefusedError when the broker will never take the record. */
  publish(record: OutboundRecord): Promise<void>;
  /** Largest record (bytes) `topic` takes. */
  recordLimit(topic: string): number;
}

export interface ProcessorCounters {
  answered: number;
  failed: number;
  replayed: number;
  /** DLQ records written (acknowledged by the broker). */
  dlq: number;
  escalated: number;
  /** Requests refused before routing (limits, schema) whose caller got a failure response. */
  refused: number;
  /** Answers the reply topic refused, replaced by a failure response or a DLQ record. */
  undeliverable: number;
  /** Records nothing could be written for (the DLQ refused too): logged with the request id. */
  dropped: number;
}

type Delivery = 'delivered' | 'refused';

/**
 * One Kafka record in, exactly one record out: a response (new or replayed) or a DLQ record.
 * Never throws for bad input; publish failures are retried here so the transport does not commit
 * past a request whose answer is not yet in Kafka.
 */
export class RequestProcessor {
  private readonly logger = new Logger('RequestProcessor');
  private readonly inFlight = new Map<string, Promise<StoredAnswer>>();
  readonly counters: ProcessorCounters = { answered: 0, failed: 0, replayed: 0, dlq: 0, escalated: 0, refused: 0, undeliverable: 0, dropped: 0 };
  /** DLQ records written so far per reason (read by /metrics). */
  readonly dlqByReason = new Map<string, number>();

  constructor(
    private readonly router: Router,
    private readonly store: IdempotencyStore,
    private readonly publisher: Publisher,
    private readonly topics: TopicNames,
    private readonly limits: RequestLimits,
    private readonly tracing: RouterTracing = new RouterTracing(),
    /** This replica, as the owner of routing claims in a shared store. */
    private readonly replica = 'local',
    /** Checks (or creates) a request's own reply topic before routing; absent: every topic is taken as existing. */
    private readonly replyTopics?: ReplyTopicGate,
  ) {}

  async process(message: InboundMessage): Promise<void> {
    const decoded = decodeRequest(message.value, this.limits);
    if (!decoded.ok) {
      // The caller is told too when the bytes name one (id + tenant): nobody waits for an answer
      // that will never come. The DLQ record keeps the bytes for whoever fixes the producer.
      if (decoded.caller) await this.refuse(decoded.caller, decoded.reason === 'schema' ? 'bad_request' : 'limits', `${decoded.reason}: ${decoded.message}`);
      return this.toDlq(message, decoded.reason, decoded.message, decoded.requestId);
    }
    const request = decoded.request;
    if (request.replyTopic && this.replyTopics) {
      const check = await this.checkReplyTopic(request.replyTopic);
      if (!check.ok) return this.refuse({ id: request.id, tenant: request.tenant }, 'bad_request', check.reason);
    }
    const { answer, replayed } = await this.answer(request, message);
    if (answer.tenant !== request.tenant) {
      // Same id from another tenant: never hand one tenant another's answer.
      return this.toDlq(message, 'conflict', `request id "${request.id}" was already answered for another tenant`, request.id);
    }
    if (replayed) this.counters.replayed++;
    const record = { topic: answer.topic, key: request.id, value: Buffer.from(answer.value), headers: answer.headers };
    if ((await this.deliver(record)) === 'refused') await this.answerUndeliverable(request, message, record);
  }

  /** A few tries: a broker hiccup should not refuse a request, a missing permission should not block it. */
  private async checkReplyTopic(topic: string): Promise<ReplyTopicCheck> {
    let last: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await this.replyTopics!.check(topic);
      } catch (err) {
        last = err;
        await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
      }
    }
    return { ok: false, reason: `replyTopic "${topic}" could not be checked or created: ${(last as Error).message}` };
  }

  /** A classified failure response for a request refused before routing; not stored, so a corrected resend is routed. */
  private async refuse(caller: Caller, kind: RefusalKind, message: string): Promise<void> {
    const response = refusalResponse(caller, kind, message);
    const topic = caller.replyTopic ?? this.topics.responses;
    const delivered = await this.deliver({ topic, key: caller.id, value: Buffer.from(JSON.stringify(response)), headers: { 'content-type': 'application/json' } });
    if (delivered === 'delivered') this.counters.refused++;
  }

  /**
   * The reply topic refused the answer (too large for it, not authorised, ...). The caller gets a
   * small failure response there instead; if even that is refused, the answer goes to the DLQ.
   */
  private async answerUndeliverable(request: RequestV1, message: InboundMessage, refused: OutboundRecord): Promise<void> {
    this.counters.undeliverable++;
    const why = `the answer (${refused.value.length} bytes) could not be written to ${refused.topic}`;
    this.logger.error(`request ${request.id}: ${why}`);
    const response = refusalResponse(request, 'undeliverable', `${why}; the full response is in the DLQ topic ${this.topics.dlq}`);
    const fallback = { topic: refused.topic, key: request.id, value: Buffer.from(JSON.stringify(response)), headers: { 'content-type': 'application/json' } };
    const delivered = await this.deliver(fallback);
    const original: InboundMessage = { ...message, value: refused.value };
    await this.toDlq(original, 'undeliverable', delivered === 'delivered' ? why : `${why}, nor a failure response`, request.id);
  }
  /** The stored answer for this id, or a new one; concurrent duplicates share one routing. */
  private answer(request: RequestV1, message: InboundMessage): Promise<{ answer: StoredAnswer; replayed: boolean }> {
    const running = this.inFlight.get(request.id);
    if (running) return running.then((answer) => ({ answer, replayed: true }));
    let replayed = false;
    const work = (async () => {
      const stored = await this.store.get(request.id);
      if (stored) {
        replayed = true;
        return stored;
      }
      let releaseClaim: () => void = () => undefined;
      if (isClaimingStore(this.store)) {
        const theirs = await claimOrAwait(this.store, request.id, this.replica);
        if (theirs) {
          replayed = true;
          return theirs;
        }
        releaseClaim = keepClaim(this.store, request.id);
      }
      const routeRequest = toRouteRequest(request);
      // The producer's trace continues here; a replay (above) keeps the trace of the first answer.
      const trace = this.tracing.startRequest(routeRequest, { parent: extractTraceContext(message.headers), attributes: messagingAttributes(message) });
      try {
        const result = await trace.run(() => this.router.route(routeRequest));
        const response = toResponseV1(request, result, trace.traceId);
        if (response.status === 'ok') this.counters.answered++;
        else this.counters.failed++;
        // Before the answer is stored, so a replay from the store never escalates twice.
        if (result.escalate) await this.escalate(request, response, result.escalate.reason, trace.headers());
        const answer: StoredAnswer = {
          requestId: request.id,
          tenant: request.tenant,
          topic: request.replyTopic ?? this.topics.responses,
          value: Buffer.from(JSON.stringify(response)),
          headers: { 'content-type': 'application/json', ...trace.headers() },
        };
        // Stored before publishing: if the process dies in between, the redelivery is answered
        // from the store (or the response log) instead of calling a provider again.
        // A shared store may already hold another replica's answer for this id (both routed it
        // around a rebalance): publish that one, so duplicates stay byte-identical.
        if (hasPutFirst(this.store)) return await this.store.putFirst(answer);
        await this.store.put(answer);
        return answer;
      } finally {
        releaseClaim();
        trace.end();
      }
    })().finally(() => this.inFlight.delete(request.id));
    this.inFlight.set(request.id, work);
    return work.then((answer) => ({ answer, replayed }));
  }

  /** Publishes the request and its response to the escalations topic, keyed by request id. */
  private async escalate(request: RequestV1, response: ResponseV1, reason: string, headers: Record<string, string>): Promise<void> {
    this.counters.escalated++;
    const record: EscalationRecord = {
      schemaVersion: 1,
      id: request.id,
      tenant: request.tenant,
      class: request.class,
      reason,
      response,
      request,
      escalatedAt: new Date().toISOString(),
    };
    this.logger.log(`escalating ${request.id} (${request.tenant}/${request.class}): ${reason}`);
    await this.deliver({
      topic: this.topics.escalations,
      key: request.id,
      value: Buffer.from(JSON.stringify(record)),
      headers: { 'content-type': 'application/json', ...headers },
    });
  }

  /** Writes a DLQ record for `message` (cut to fit the DLQ topic); used for bad feedback too. */
  async toDlq(message: InboundMessage, reason: DlqReason, detail: string, requestId: string | undefined): Promise<void> {
    const record = toDlqRecord(message, reason, detail, requestId, this.publisher.recordLimit(this.topics.dlq));
    this.logger.warn(`DLQ ${message.topic}/${message.partition}@${message.offset}${requestId ? ` (request ${requestId})` : ''}: ${record.reason}: ${record.message}${record.truncated ? ' [value truncated]' : ''}`);
    const delivered = await this.deliver({
      topic: this.topics.dlq,
      key: dlqKey(record, message),
      value: Buffer.from(JSON.stringify(record)),
      headers: { 'content-type': 'application/json' },
    });
    if (delivered === 'refused') {
      // The last resort refused too (e.g. no write access to the DLQ topic): say so loudly.
      this.counters.dropped++;
      this.logger.error(`nothing could be written for ${message.topic}/${message.partition}@${message.offset}${requestId ? ` (request ${requestId})` : ''}; moving on`);
      return;
    }
    this.counters.dlq++;
    this.dlqByReason.set(record.reason, (this.dlqByReason.get(record.reason) ?? 0) + 1);
  }

  /**
   * Publishes, retrying what can still succeed (the transport must not commit past an answer that
   * is not in Kafka). A record the broker refuses for good is not retried: the partition would
   * stop behind it. It is logged and counted, and the caller decides what goes out instead.
   */
  private async deliver(record: OutboundRecord): Promise<Delivery> {
    for (let delay = 200; ; delay = Math.min(delay * 2, 5_000)) {
      try {
        await this.publisher.publish(record);
        return 'delivered';
      } catch (err) {
        if (isPublishRefused(err)) {
          this.logger.error(`record for ${record.topic} (key ${record.key ?? '-'}) refused by Kafka, not retried: ${err.message}`);
          return 'refused';
        }
        this.logger.warn(`publish to ${record.topic} failed, retrying in ${delay} ms: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}

/** An IdempotencyStore shared by replicas where the first stored answer for an id wins. */
interface FirstWriterWins {
  putFirst(answer: StoredAnswer): Promise<StoredAnswer>;
}

function hasPutFirst(store: IdempotencyStore): store is IdempotencyStore & FirstWriterWins {
  return typeof (store as Partial<FirstWriterWins>).putFirst === 'function';
}
