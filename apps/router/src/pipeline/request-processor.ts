import { Logger } from '@nestjs/common';
import { decodeRequest, type DlqRecord, type EscalationRecord, type RequestLimits, type RequestV1, type ResponseV1, type TopicNames } from '@switchyard/contracts';
import type { IdempotencyStore, Router, StoredAnswer } from '@switchyard/core';
import { extractTraceContext, RouterTracing } from '@switchyard/telemetry';
import type { InboundMessage } from '../kafka/inbound-message';
import type { OutboundRecord } from '../kafka/batching-publisher';
import { messagingAttributes } from '../telemetry/messaging-attributes';
import { toDlqRecord } from './dlq-record';
import { claimOrAwait, isClaimingStore, keepClaim } from './routing-claim';
import { toResponseV1, toRouteRequest } from './response-builder';

export interface Publisher {
  publish(record: OutboundRecord): Promise<void>;
}

export interface ProcessorCounters {
  answered: number;
  failed: number;
  replayed: number;
  dlq: number;
  escalated: number;
}

/**
 * One Kafka record in, exactly one record out: a response (new or replayed) or a DLQ record.
 * Never throws for bad input; publish failures are retried here so the transport does not commit
 * past a request whose answer is not yet in Kafka.
 */
export class RequestProcessor {
  private readonly logger = new Logger('RequestProcessor');
  private readonly inFlight = new Map<string, Promise<StoredAnswer>>();
  readonly counters: ProcessorCounters = { answered: 0, failed: 0, replayed: 0, dlq: 0, escalated: 0 };
  /** DLQ records so far per reason (read by /metrics). */
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
  ) {}

  async process(message: InboundMessage): Promise<void> {
    const decoded = decodeRequest(message.value, this.limits);
    if (!decoded.ok) {
      return this.toDlq(toDlqRecord(message, decoded.reason, decoded.message, decoded.requestId), message);
    }
    const request = decoded.request;
    const answer = await this.answer(request, message);
    if (answer.tenant !== request.tenant) {
      // Same id from another tenant: never hand one tenant another's answer.
      return this.toDlq(toDlqRecord(message, 'conflict', `request id "${request.id}" was already answered for another tenant`, request.id), message);
    }
    await this.publishWithRetry({ topic: answer.topic, key: request.id, value: Buffer.from(answer.value), headers: answer.headers });
  }

  /** The stored answer for this id, or a new one; concurrent duplicates share one routing. */
  private answer(request: RequestV1, message: InboundMessage): Promise<StoredAnswer> {
    const running = this.inFlight.get(request.id);
    if (running) {
      this.counters.replayed++;
      return running;
    }
    const work = (async () => {
      const stored = await this.store.get(request.id);
      if (stored) {
        this.counters.replayed++;
        return stored;
      }
      let releaseClaim: () => void = () => undefined;
      if (isClaimingStore(this.store)) {
        const theirs = await claimOrAwait(this.store, request.id, this.replica);
        if (theirs) {
          this.counters.replayed++;
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
    return work;
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
    await this.publishWithRetry({
      topic: this.topics.escalations,
      key: request.id,
      value: Buffer.from(JSON.stringify(record)),
      headers: { 'content-type': 'application/json', ...headers },
    });
  }

  private async toDlq(record: DlqRecord, message: InboundMessage): Promise<void> {
    this.counters.dlq++;
    this.dlqByReason.set(record.reason, (this.dlqByReason.get(record.reason) ?? 0) + 1);
    this.logger.warn(`DLQ ${message.topic}/${message.partition}@${message.offset}: ${record.reason}: ${record.message}`);
    await this.publishWithRetry({
      topic: this.topics.dlq,
      key: record.requestId ?? message.key?.toString('utf8') ?? null,
      value: Buffer.from(JSON.stringify(record)),
      headers: { 'content-type': 'application/json' },
    });
  }

  private async publishWithRetry(record: OutboundRecord): Promise<void> {
    for (let delay = 200; ; delay = Math.min(delay * 2, 5_000)) {
      try {
        return await this.publisher.publish(record);
      } catch (err) {
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
