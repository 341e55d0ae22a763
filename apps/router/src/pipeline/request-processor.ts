import { Logger } from '@nestjs/common';
import { decodeRequest, type Caller, type DlqReason, type RequestLimits, type RequestV1, type TopicNames } from '@switchyard/contracts';
import { extractTraceContext } from '@switchyard/telemetry';
import type { InboundMessage } from '../kafka/inbound-message';
import type { OutboundRecord } from '../kafka/batching-publisher';
import { messagingAttributes } from '../telemetry/messaging-attributes';
import type { ReplyTopicCheck, ReplyTopicGate } from '../kafka/reply-topics';
import type { AnswerPipeline } from './answer-pipeline';
import type { DlqWriter } from './dlq-writer';
import { deliver, type Delivery, type Publisher } from './kafka-delivery';
import { KafkaStreamSink } from './kafka-stream-sink';
import { refusalResponse, type RefusalKind } from './response-builder';
import { REFUSAL_HEADER } from './request-hash';

/** What the processor needs of the batch path (BatchRouting). */
export interface BatchOffer {
  /** Synchronous, so a request that may not be batched pays nothing for the batch path. */
  wants(request: RequestV1): boolean;
  offer(request: RequestV1, headers: Record<string, string>): Promise<boolean>;
}

export interface ProcessorCounters {
  /** Requests routed to an ok answer (replays not included). */
  answered: number;
  /** Requests routed to a failure response (replays not included). */
  failed: number;
  replayed: number;
  /** Requests refused before routing (limits, schema) whose caller got a failure response. */
  refused: number;
  /** Answers the reply topic refused, replaced by a failure response or a DLQ record. */
  undeliverable: number;
}

/**
 * One Kafka record in, exactly one record out: a response (new or replayed) or a DLQ record.
 * Never throws for bad input; publish failures are retried here so the transport does not commit
 * past a request whose answer is not yet in Kafka.
 */
export class RequestProcessor {
  private readonly logger = new Logger('RequestProcessor');
  readonly counters: ProcessorCounters = { answered: 0, failed: 0, replayed: 0, refused: 0, undeliverable: 0 };

  constructor(
    /** Stored answer or routing (shared with the HTTP front door; the runtime builds it). */
    private readonly pipeline: AnswerPipeline,
    private readonly publisher: Publisher,
    private readonly dlq: DlqWriter,
    private readonly topics: Pick<TopicNames, 'responses' | 'stream' | 'dlq'>,
    private readonly limits: RequestLimits,
    /** Checks (or creates) a request's own reply topic before routing; absent: every topic is taken as existing. */
    private readonly replyTopics?: ReplyTopicGate,
    /** The batch path (BATCH_ENABLED): takes a request whose batch mode and deadline make a batch worth it; its answer comes later. */
    private readonly batch?: BatchOffer,
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
    // Resolves once the request is in a batch recorded in the ledger, so its offset may be committed.
    if (this.batch?.wants(request) && (await this.batch.offer(request, message.headers))) return;
    // `stream: true`: the pieces go to the stream topic as they come; a replayed answer has none.
    const stream = request.stream ? new KafkaStreamSink(request.id, this.topics.stream, (r) => this.publisher.publish(r)) : undefined;
    const { answer, response, replayed, bodyMismatch } = await this.pipeline.answer({ request, parent: extractTraceContext(message.headers), attributes: messagingAttributes(message), stream });
    if (!replayed) this.counters[response.status === 'ok' ? 'answered' : 'failed']++;
    if (stream) {
      // The answer follows the last chunk on the responses topic.
      await stream.flushed();
      if (stream.lost) this.logger.warn(`request ${request.id}: ${stream.lost} of ${stream.chunks} stream chunks could not be published to ${this.topics.stream}`);
    }
    if (answer.tenant !== request.tenant) {
      // Same id from another tenant: never hand one tenant another's answer.
      return this.toDlq(message, 'conflict', `request id "${request.id}" was already answered for another tenant`, request.id);
    }
    if (bodyMismatch) {
      // Same id, another request: its answer would answer a question nobody asked with this id.
      return this.toDlq(message, 'conflict', `request id "${request.id}" was already used for a request with another body (SHA-256 ${answer.requestHash}); send a new request with a new id`, request.id);
    }
    if (replayed) this.counters.replayed++;
    const record = { topic: answer.topic, key: request.id, value: Buffer.from(answer.value), headers: answer.headers };
    if ((await this.deliver(record)) === 'refused') await this.answerUndeliverable(request, message, record);
  }

  /**
   * The transport gave up on a record the handler kept failing on (not a broker or Redis outage):
   * its bytes go to the DLQ as `internal` and its caller, when the bytes name one, gets a
   * classified failure, so the partition moves on and nobody waits for an answer.
   */
  async handlerFailed(message: InboundMessage, err: unknown): Promise<void> {
    const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    const detail = `the router failed on this request: ${why.length > 300 ? `${why.slice(0, 300)}…` : why}`;
    const decoded = decodeRequest(message.value, this.limits);
    const caller = decoded.ok ? { id: decoded.request.id, tenant: decoded.request.tenant, replyTopic: decoded.request.replyTopic } : decoded.caller;
    if (caller) await this.refuse(caller, 'internal', detail);
    await this.toDlq(message, 'internal', detail, caller?.id);
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
    const headers = { 'content-type': 'application/json', [REFUSAL_HEADER]: kind };
    const delivered = await this.deliver({ topic, key: caller.id, value: Buffer.from(JSON.stringify(response)), headers });
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
  private toDlq(message: InboundMessage, reason: DlqReason, detail: string, requestId: string | undefined): Promise<void> {
    return this.dlq.write(message, reason, detail, requestId);
  }

  private deliver(record: OutboundRecord): Promise<Delivery> {
    return deliver(this.publisher, record, this.logger);
  }
}
