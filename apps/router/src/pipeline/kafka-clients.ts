import { Logger } from '@nestjs/common';
import { Kafka, logLevel, Partitioners, type ProducerConfig, type SASLOptions } from 'kafkajs';
import { BatchingPublisher, type OutboundRecord, type PublisherStats } from '../kafka/batching-publisher';
import { KAFKA_DEFAULT_MAX_MESSAGE_BYTES, RecordLimits } from '../kafka/record-limits';
import { RepeatFilter } from '../kafka/repeat-filter';
import { brokerList, type RouterEnv } from '../config/env';

const log = new Logger('Kafka');

/**
 * Errors a broker answers while partition leaders are being elected (a fresh topic, a broker that
 * just started or moved leadership). kafkajs retries them itself; they are not failures, and a
 * newcomer's first start must not show a red ERROR for them.
 */
const LEADER_ELECTION = /not the leader for that topic-partition|There is no leader for this topic-partition|leader not available|does not host this topic-partition/i;

/**
 * kafkajs log lines go through the Nest logger, at warn and above (leader elections at info), each
 * distinct line at most once per 30 s; every error line also goes to `onError` (start-up reports the
 * last one while it waits).
 */
function kafkaLogCreator(onError?: (line: string) => void) {
  const repeats = new RepeatFilter(30_000);
  return ({ level, log: entry }: { level: logLevel; log: { message: string } & Record<string, unknown> }) => {
    const line = `${entry.message}${entry.error ? `: ${String(entry.error)}` : ''}`;
    if (level === logLevel.ERROR) onError?.(line);
    const text = repeats.pass(line);
    if (text === undefined) return;
    if (LEADER_ELECTION.test(text)) log.log(`${text} (partition leaders are being elected; retried)`);
    else if (level === logLevel.ERROR) log.error(text);
    else if (level === logLevel.WARN) log.warn(text);
  };
}

/** The Kafka client, with the SASL/TLS options parseEnv resolved (their files are not read again). */
export function createKafka(env: Pick<RouterEnv, 'KAFKA_CLIENT_ID' | 'KAFKA_BROKERS' | 'kafkaSecurity'>, onError?: (line: string) => void): Kafka {
  const { sasl, ssl } = env.kafkaSecurity;
  return new Kafka({
    clientId: env.KAFKA_CLIENT_ID,
    brokers: brokerList(env),
    ...(ssl ? { ssl } : {}),
    ...(sasl ? { sasl: sasl as SASLOptions } : {}),
    logLevel: logLevel.WARN,
    logCreator: () => kafkaLogCreator(onError),
    retry: { initialRetryTime: 200, retries: 8 },
  });
}

/** The output producer's kafkajs settings (the throughput bench's bare Kafka echo uses them too). */
export function outputProducerConfig(): ProducerConfig {
  return {
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: true,
    createPartitioner: Partitioners.DefaultPartitioner,
    // The idempotent producer keeps its sequence numbers only while it retries without limit;
    // a broker outage therefore holds publishes (and offset commits) until the broker is back.
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 5_000 },
  };
}

/**
 * The idempotent producer and the publisher on top of it. `publish` resolves once the record is
 * acknowledged by all in-sync replicas; it rejects with PublishRefusedError when the broker will
 * never take the record (the caller decides what goes out instead), and with other errors that the
 * caller retries.
 */
export class KafkaOutput {
  private readonly batching: BatchingPublisher;
  private limits: RecordLimits;

  constructor(kafka: Kafka, initialLimits: RecordLimits = RecordLimits.fixed(KAFKA_DEFAULT_MAX_MESSAGE_BYTES), lingerMs = 0) {
    this.limits = initialLimits;
    const createProducer = () => kafka.producer(outputProducerConfig());
    const limits = { recordLimit: (topic: string) => this.limits.recordLimit(topic), smallestLimit: () => this.limits.smallestLimit() };
    this.batching = new BatchingPublisher(createProducer, limits, log, { maxBatch: 500, soloAttempts: 5, lingerMs });
  }

  /** The output topics' size limits, read from the broker once topics exist. */
  useLimits(limits: RecordLimits): void {
    this.limits = limits;
  }

  describeLimits(): Record<string, number> {
    return this.limits.describe();
  }

  recordLimit(topic: string): number {
    return this.limits.recordLimit(topic);
  }

  get stats(): PublisherStats {
    return this.batching.stats;
  }

  connect(): Promise<void> {
    return this.batching.connect();
  }

  publish(record: OutboundRecord): Promise<void> {
    return this.batching.publish(record);
  }

  close(): Promise<void> {
    return this.batching.close();
  }
}
