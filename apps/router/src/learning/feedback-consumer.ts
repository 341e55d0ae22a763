import { Logger } from '@nestjs/common';
import { decodeFeedback, feedbackScore, responseV1Schema, type DlqReason } from '@switchyard/contracts';
import type { IdempotencyStore, QualityObservation, QualitySink } from '@switchyard/core';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { InboundMessage } from '../kafka/inbound-message';
import { ANSWERED_AT_HEADER } from '../pipeline/request-hash';

/** What happened to one feedback message (a metric label). */
export type FeedbackResult = 'applied' | 'duplicate' | 'unknown_request' | 'not_served' | 'invalid';

export interface FeedbackConsumerOptions {
  topic: string;
  /** Shared by the router's replicas: each message is handled once, then broadcast to all. */
  groupId: string;
  /**
   * The group session (KAFKA_SESSION_TIMEOUT_MS, as for the request group): a router restarted
   * after a crash waits this long at start for its dead predecessor to leave this group too.
   */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
}

export interface FeedbackDeps {
  /** Where answered requests are found by id (the idempotency store: in memory, or Redis for replicas). */
  answers: Pick<IdempotencyStore, 'get'>;
  /** This replica's learners. */
  learners: readonly QualitySink[];
  /** Tells the other replicas (switchyard.outcomes). */
  broadcast?: (observation: QualityObservation & { id: string }) => void;
  /** The response cache: bad feedback on an answer drops the cached entry that gave or holds it. */
  cache?: { forget(cacheKey: string): Promise<boolean> };
  /** Invalid feedback goes to the DLQ with its reason and bytes. */
  toDlq: (message: InboundMessage, reason: DlqReason, detail: string, requestId: string | undefined) => Promise<void>;
}

/**
 * Feedback on `llm.feedback`: validated, joined by request id to the arm and class that served the
 * answer (from the stored response), learnt here and broadcast so every replica learns it. The
 * same feedback (request, metric, source) counts once. Feedback for an id this router does not
 * know (never answered, or older than IDEMPOTENCY_TTL_MS) is counted and dropped.
 */
export class FeedbackConsumer {
  private readonly logger = new Logger('Feedback');
  private consumer: Consumer | undefined;
  private readonly seen = new Set<string>();
  readonly counts = new Map<FeedbackResult, number>();

  constructor(
    private readonly kafka: Kafka,
    private readonly options: FeedbackConsumerOptions,
    private readonly deps: FeedbackDeps,
  ) {}

  async start(): Promise<void> {
    const { groupId, sessionTimeoutMs, heartbeatIntervalMs } = this.options;
    const consumer = this.kafka.consumer({ groupId, allowAutoTopicCreation: true, maxWaitTimeInMs: 250, sessionTimeout: sessionTimeoutMs, heartbeatInterval: heartbeatIntervalMs });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [this.options.topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        await this.handle(topic, partition, message);
      },
    });
  }

  async handle(topic: string, partition: number, message: KafkaMessage): Promise<FeedbackResult> {
    const result = await this.process(topic, partition, message);
    this.counts.set(result, (this.counts.get(result) ?? 0) + 1);
    return result;
  }

  private async process(topic: string, partition: number, message: KafkaMessage): Promise<FeedbackResult> {
    const decoded = decodeFeedback(message.value);
    if (!decoded.ok) {
      const inbound: InboundMessage = { topic, partition, offset: message.offset, timestamp: message.timestamp, key: message.key, value: message.value, headers: {} };
      await this.deps.toDlq(inbound, decoded.reason, `feedback: ${decoded.message}`, decoded.requestId);
      return 'invalid';
    }
    const feedback = decoded.feedback;
    const id = `${feedback.requestId}:feedback:${feedback.metric}:${feedback.source}`;
    if (this.seen.has(id)) return 'duplicate';
    const stored = await this.deps.answers.get(feedback.requestId);
    if (!stored) return 'unknown_request';
    const response = responseV1Schema.safeParse(safeJson(stored.value));
    // A bad answer must not be served again from the cache, whether it came from there or was put there.
    const cacheKey = response.success ? response.data.cacheKey : undefined;
    if (cacheKey && this.deps.cache && feedbackScore(feedback) < 0.5 && (await this.deps.cache.forget(cacheKey))) {
      this.logger.log(`feedback ${feedback.requestId}: bad, its cached answer was dropped`);
    }
    if (!response.success || !response.data.servedBy || response.data.status !== 'ok') return 'not_served';
    const answeredAt = Number(stored.headers[ANSWERED_AT_HEADER]);
    const observation = { arm: response.data.servedBy.arm, requestClass: response.data.class ?? 'default', score: feedbackScore(feedback), kind: 'feedback' as const, source: feedback.source, id, ...(answeredAt > 0 ? { answeredAt } : {}) };
    this.remember(id);
    for (const learner of this.deps.learners) learner.recordQuality(observation);
    this.deps.broadcast?.(observation);
    this.logger.debug(`feedback ${feedback.requestId} → ${observation.arm}/${observation.requestClass}: ${observation.score} (${feedback.metric}, ${feedback.source})`);
    return 'applied';
  }

  /** Bounded memory of applied feedback ids (duplicates beyond it are still caught by the learners' own de-duplication). */
  private remember(id: string): void {
    if (this.seen.size >= 100_000) this.seen.delete(this.seen.values().next().value!);
    this.seen.add(id);
  }

  async close(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

function safeJson(value: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(value).toString('utf8'));
  } catch {
    return undefined;
  }
}
