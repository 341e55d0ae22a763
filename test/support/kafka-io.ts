import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import type { RequestV1Input } from '@switchyard/contracts';
import { createTopics as createTopicsAndWait } from '../../bench/support/kafka-io';
import { kafkaBrokers } from './env';

export function testKafka(): Kafka {
  return new Kafka({ clientId: 'switchyard-e2e', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
}

/** Unique topic names so suites never see each other's records. */
export function uniqueTopics(prefix: string) {
  const tag = `${prefix}-${randomUUID().slice(0, 8)}`;
  return {
    tag,
    requests: `${tag}.requests`,
    responses: `${tag}.responses`,
    dlq: `${tag}.dlq`,
    escalations: `${tag}.escalations`,
    fallbacks: `${tag}.fallbacks`,
    env(): Record<string, string> {
      return {
        TOPIC_REQUESTS: this.requests,
        TOPIC_RESPONSES: this.responses,
        TOPIC_DLQ: this.dlq,
        TOPIC_ESCALATIONS: this.escalations,
        // Outcomes too: a router replays recent outcomes at start, and another suite's arms may share names.
        TOPIC_OUTCOMES: `${this.tag}.outcomes`,
        TOPIC_STREAM: `${this.tag}.stream`,
        TOPIC_FALLBACKS: this.fallbacks,
        KAFKA_GROUP_ID: `${tag}-router`,
      };
    },
  };
}

/**
 * Creates the topics and waits until every partition has a leader (bench/support's polling wait:
 * kafkajs' own `waitForLeaders` fails on a busy KRaft broker with "does not host this topic-partition").
 */
export async function createTopics(kafka: Kafka, topics: string[], numPartitions = 6, configEntries?: Array<{ name: string; value: string }>): Promise<void> {
  await createTopicsAndWait(kafka, topics, numPartitions, 30_000, configEntries);
}

export function request(id: string, overrides: Partial<RequestV1Input> = {}): RequestV1Input {
  return { schemaVersion: 1, id, tenant: 'e2e', messages: [{ role: 'user', content: `question ${id}` }], ...overrides };
}

export async function connectProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return producer;
}

export async function publishRaw(producer: Producer, topic: string, messages: Array<{ key: string | null; value: Buffer | string | null }>): Promise<void> {
  for (let i = 0; i < messages.length; i += 500) {
    await producer.send({ topic, messages: messages.slice(i, i + 500) });
  }
}

export interface Collected {
  key: string | null;
  value: Buffer;
  json: Record<string, unknown>;
  headers: Record<string, string>;
}

/** Reads a topic from the beginning into memory, for assertions. */
export class TopicCollector {
  readonly records: Collected[] = [];
  private consumer: Consumer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
  ) {}

  async start(): Promise<this> {
    this.consumer = this.kafka.consumer({ groupId: `e2e-collector-${randomUUID()}` });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    const joined = new Promise<void>((resolve) => this.consumer!.on(this.consumer!.events.GROUP_JOIN, () => resolve()));
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        const value = message.value ?? Buffer.alloc(0);
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = String(v);
        this.records.push({ key: message.key?.toString() ?? null, value, json: JSON.parse(value.toString()) as Record<string, unknown>, headers });
      },
    });
    await joined;
    return this;
  }

  byKey(): Map<string, Collected[]> {
    const map = new Map<string, Collected[]>();
    for (const r of this.records) {
      const list = map.get(r.key ?? '') ?? [];
      list.push(r);
      map.set(r.key ?? '', list);
    }
    return map;
  }

  distinctKeys(): number {
    return new Set(this.records.map((r) => r.key)).size;
  }

  /** Waits until `predicate` holds, polling; fails with a count in the message on timeout. */
  async waitFor(predicate: (c: this) => boolean, timeoutMs: number, what: string): Promise<void> {
    const started = Date.now();
    while (!predicate(this)) {
      if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} on ${this.topic} (have ${this.records.length} records)`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}
