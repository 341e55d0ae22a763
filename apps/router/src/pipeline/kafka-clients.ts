import { Logger } from '@nestjs/common';
import { Kafka, logLevel, Partitioners, type Producer, type SASLOptions } from 'kafkajs';
import { BatchingPublisher, type OutboundRecord } from '../kafka/batching-publisher';
import { brokerList, kafkaSecurity, type RouterEnv } from '../config/env';

const log = new Logger('Kafka');

/** kafkajs log lines go through the Nest logger, at warn and above. */
function kafkaLogCreator() {
  return ({ level, log: entry }: { level: logLevel; log: { message: string } & Record<string, unknown> }) => {
    const text = `${entry.message}${entry.error ? `: ${String(entry.error)}` : ''}`;
    if (level === logLevel.ERROR) log.error(text);
    else if (level === logLevel.WARN) log.warn(text);
  };
}

export function createKafka(env: RouterEnv): Kafka {
  const { sasl, ssl } = kafkaSecurity(env);
  return new Kafka({
    clientId: env.KAFKA_CLIENT_ID,
    brokers: brokerList(env),
    ...(ssl ? { ssl } : {}),
    ...(sasl ? { sasl: sasl as SASLOptions } : {}),
    logLevel: logLevel.WARN,
    logCreator: () => kafkaLogCreator(),
    retry: { initialRetryTime: 200, retries: 8 },
  });
}

/**
 * The idempotent producer and the publisher on top of it. `publish` resolves once the record is
 * acknowledged by all in-sync replicas; failures are retried by the caller.
 */
export class KafkaOutput {
  private readonly producer: Producer;
  private readonly batching: BatchingPublisher;

  constructor(kafka: Kafka) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: true,
      createPartitioner: Partitioners.DefaultPartitioner,
      // The idempotent producer keeps its sequence numbers only while it retries without limit;
      // a broker outage therefore holds publishes (and offset commits) until the broker is back.
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 5_000 },
    });
    this.batching = new BatchingPublisher(this.producer);
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  publish(record: OutboundRecord): Promise<void> {
    return this.batching.publish(record);
  }

  async close(): Promise<void> {
    await this.batching.flush();
    await this.producer.disconnect();
  }
}
