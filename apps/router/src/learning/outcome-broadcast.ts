import { Logger } from '@nestjs/common';
import { outcomeRecordSchema, qualityRecordSchema, type OutcomeRecord, type QualityRecord } from '@switchyard/contracts';
import { isErrorKind, type AttemptOutcome, type BreakerRegistry, type OutcomeSink, type QualityObservation, type QualitySink, type RouterEvent } from '@switchyard/core';
import type { Consumer, Kafka } from 'kafkajs';
import type { OutboundRecord } from '../kafka/batching-publisher';

/** Kafka header naming the replica that published a record (the body says it too). */
export const REPLICA_HEADER = 'switchyard-replica';

export interface OutcomeBroadcastOptions {
  topic: string;
  /** This process; records it published itself are not learnt twice. */
  replica: string;
  /** On start, outcomes this recent are replayed to warm the policy up. */
  replayMs: number;
  /** Learners of answer checks and feedback (quality records on the same topic). */
  qualitySinks?: readonly QualitySink[];
}

/**
 * Shared learning across replicas: every attempt outcome this replica sees is published to
 * `switchyard.outcomes`, and every other replica's outcomes are fed to this replica's learners
 * (the adaptive policy, breakers), so all replicas learn from all traffic. Each replica reads the
 * topic in a consumer group of its own; on start it replays the recent window.
 */
export class OutcomeBroadcast {
  private readonly logger = new Logger('OutcomeBroadcast');
  private readonly classes = new Map<string, string>();
  private consumer: Consumer | undefined;
  received = 0;
  /** The replica also rides in a header, so a replica skips its own records without parsing them. */
  private readonly headers: Record<string, string>;

  constructor(
    private readonly kafka: Kafka,
    private readonly publish: (record: OutboundRecord) => Promise<void>,
    private readonly learners: readonly OutcomeSink[],
    private readonly breakers: BreakerRegistry,
    private readonly options: OutcomeBroadcastOptions,
  ) {
    this.headers = { 'content-type': 'application/json', [REPLICA_HEADER]: options.replica };
  }

  /** RouterEventBus listener: publishes each finished attempt (fire and forget; learning is best effort). */
  readonly listener = (event: RouterEvent): void => {
    if (event.type === 'request.started') this.classes.set(event.requestId, event.requestClass);
    else if (event.type === 'request.finished') this.classes.delete(event.requestId);
    else if (event.type === 'answer.checked') {
      this.publishQuality({
        arm: event.arm,
        requestClass: event.requestClass,
        score: event.failed.length ? 0 : 1,
        kind: 'check',
        source: event.failed[0]?.check ?? 'all',
        id: `${event.requestId}:${event.at}:check`,
      });
    } else if (event.type === 'attempt.finished' && event.outcome.kind !== 'cancelled' && event.outcome.kind !== 'budget_exceeded') {
      const record: OutcomeRecord = {
        schemaVersion: 1,
        replica: this.options.replica,
        requestId: event.requestId,
        requestClass: this.classes.get(event.requestId) ?? 'default',
        outcome: withoutMessage(event.outcome),
      };
      this.publish({ topic: this.options.topic, key: event.outcome.arm, value: Buffer.from(JSON.stringify(record)), headers: this.headers }).catch(
        (err: Error) => this.logger.warn(`outcome not broadcast: ${err.message}`),
      );
    }
  };

  /** Broadcasts a quality observation this replica already learnt (a check, or joined feedback). */
  publishQuality(observation: QualityObservation & { id: string }): void {
    const record: QualityRecord = { schemaVersion: 1, replica: this.options.replica, quality: observation };
    this.publish({ topic: this.options.topic, key: observation.arm, value: Buffer.from(JSON.stringify(record)), headers: this.headers }).catch(
      (err: Error) => this.logger.warn(`quality observation not broadcast: ${err.message}`),
    );
  }

  async start(): Promise<void> {
    const { topic, replica, replayMs } = this.options;
    const admin = this.kafka.admin();
    await admin.connect();
    let starts: Array<{ partition: number; offset: string }> = [];
    try {
      if ((await admin.listTopics()).includes(topic)) starts = await admin.fetchTopicOffsetsByTimestamp(topic, Date.now() - replayMs);
    } finally {
      await admin.disconnect();
    }
    // A short long-poll: disconnect waits for the fetch in flight, and kafkajs' default (5 s) would
    // hold every shutdown that long. minBytes lets a busy topic fill a fetch for up to that long
    // rather than answering each produce batch with a fetch of its own (every replica publishes two
    // records per request, so at 1,000 req/s that was hundreds of small fetches a second, each a
    // socket write and a decode); learning from other replicas a quarter second later costs nothing.
    const consumer = this.kafka.consumer({ groupId: `switchyard-outcomes-${replica}`, allowAutoTopicCreation: true, maxWaitTimeInMs: 250, minBytes: 256 * 1024 });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: false });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      for (const s of starts) if (Number(s.offset) >= 0) consumer.seek({ topic, partition: s.partition, offset: s.offset });
    });
    // No commits: a replica's group lives as long as the process; the replay window does the rest.
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        if (!message.value) return;
        // Most records on the topic are this replica's own (two per request it answers).
        if (message.headers?.[REPLICA_HEADER]?.toString() === replica) return;
        const json = safeJson(message.value);
        if (typeof json === 'object' && json !== null && 'quality' in json) {
          const q = qualityRecordSchema.safeParse(json);
          if (!q.success || q.data.replica === replica) return;
          this.received++;
          for (const sink of this.options.qualitySinks ?? []) sink.recordQuality(q.data.quality);
          return;
        }
        const parsed = outcomeRecordSchema.safeParse(json);
        if (!parsed.success || parsed.data.replica === replica || !isErrorKind(parsed.data.outcome.kind) && parsed.data.outcome.kind !== 'ok') return;
        const { outcome, requestClass, requestId } = parsed.data;
        const attempt = outcome as AttemptOutcome;
        this.received++;
        for (const learner of this.learners) learner.record(attempt, requestClass, `${requestId}:${outcome.attempt}`);
        this.breakers.recordShared(attempt);
      },
    });
  }

  async close(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

/** Provider messages stay on this replica (they can be long); the kind says what happened. */
function withoutMessage(outcome: AttemptOutcome): OutcomeRecord['outcome'] {
  const { message: _message, ...rest } = outcome;
  return rest;
}

function safeJson(value: Buffer): unknown {
  try {
    return JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
}
