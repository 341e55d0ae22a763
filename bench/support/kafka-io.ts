// Kafka plumbing for benchmarks: unique topics, a fast request producer, and a response collector
// that records when each response reached the client.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer, type EachBatchHandler, type Message, type Producer } from 'kafkajs';
import type { RequestV1Input } from '@switchyard/contracts';
import { nowMs } from './env';

export function benchKafka(brokers: string[]): Kafka {
  return new Kafka({ clientId: 'switchyard-bench', brokers, logLevel: logLevel.NOTHING, retry: { retries: 5 } });
}

export interface BenchTopics {
  tag: string;
  requests: string;
  responses: string;
  dlq: string;
  escalations: string;
  /** The router's feedback topic (TOPIC_FEEDBACK): live runs publish the scenario's feedback there. */
  feedback: string;
  all: string[];
  /** Router env naming these topics and a group of its own. */
  routerEnv: Record<string, string>;
}

export function uniqueTopics(prefix: string): BenchTopics {
  const tag = `bench-${prefix}-${randomUUID().slice(0, 8)}`;
  const t = { requests: `${tag}.requests`, responses: `${tag}.responses`, dlq: `${tag}.dlq`, escalations: `${tag}.escalations` };
  // The shared-learning topics are per phase too: a router replays recent outcomes at start-up, and
  // on a reused bench broker that would be every earlier run's, counted against this phase's CPU.
  const learning = { outcomes: `${tag}.outcomes`, feedback: `${tag}.feedback` };
  return {
    tag,
    ...t,
    feedback: learning.feedback,
    all: [...Object.values(t), ...Object.values(learning)],
    routerEnv: {
      TOPIC_REQUESTS: t.requests,
      TOPIC_RESPONSES: t.responses,
      TOPIC_DLQ: t.dlq,
      TOPIC_ESCALATIONS: t.escalations,
      TOPIC_OUTCOMES: learning.outcomes,
      TOPIC_FEEDBACK: learning.feedback,
      KAFKA_GROUP_ID: `${tag}-router`,
    },
  };
}

/**
 * Creates the topics and waits until every partition has a leader. KRaft brokers sometimes answer
 * kafkajs' own `waitForLeaders` metadata poll with UNKNOWN_TOPIC_OR_PARTITION for a moment, so this
 * polls metadata itself and retries.
 */
export async function createTopics(
  kafka: Kafka,
  topics: string[],
  numPartitions: number,
  timeoutMs = 30_000,
  configEntries?: Array<{ name: string; value: string }>,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: false, topics: topics.map((topic) => ({ topic, numPartitions, ...(configEntries ? { configEntries } : {}) })) });
    const until = Date.now() + timeoutMs;
    for (;;) {
      try {
        const { topics: meta } = await admin.fetchTopicMetadata({ topics });
        const ready = meta.length === topics.length && meta.every((t) => t.partitions.length === numPartitions && t.partitions.every((p) => p.leader >= 0));
        if (ready) return;
      } catch (err) {
        if (Date.now() > until) throw err;
      }
      if (Date.now() > until) throw new Error(`topics ${topics.join(', ')} have no leaders after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await admin.disconnect();
  }
}

/** Best effort: benchmark topics are throwaway. */
export async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.deleteTopics({ topics, timeout: 10_000 });
  } catch {
    // leave them; retention removes the data
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** A request v1 body like a chat client's: one short user message. */
export function benchRequest(id: string): RequestV1Input {
  return {
    schemaVersion: 1,
    id,
    tenant: 'bench',
    class: 'chat',
    messages: [{ role: 'user', content: `Summarise ticket ${id} in one sentence: the customer cannot log in after resetting the password.` }],
    params: { maxTokens: 256 },
  };
}

/** What the client remembers about each request it sent. */
export interface SentInfo {
  /** Client clock (fractional epoch ms) just before the produce call. */
  sentAt: number;
  /** The record's CreateTime (ms), set explicitly by the client. */
  recordTs: number;
}

/** Non-idempotent producer (several produce requests in flight), acks=all, no compression. */
export async function connectLoadProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 8 });
  await producer.connect();
  return producer;
}

export function requestMessage(id: string, sent: Map<string, SentInfo>): Message {
  const recordTs = Date.now();
  sent.set(id, { sentAt: nowMs(), recordTs });
  return { key: id, value: JSON.stringify(benchRequest(id)), timestamp: String(recordTs), headers: { 'content-type': 'application/json' } };
}

export interface ReceivedInfo {
  /** Client clock (fractional epoch ms) when the batch holding the response was handed to us. */
  receivedAt: number;
  /** The response record's CreateTime (ms): the router's producer built the record then. */
  recordTs: number;
  status: string;
  /** Router-measured route() time (`latencyMs` in response v1). */
  routeMs: number;
  /** Router-measured provider attempt time (first attempt). */
  attemptMs: number | undefined;
  attempts: number;
}

/** Reads the responses topic from the beginning; one record per request id is kept (first seen). */
export class ResponseCollector {
  readonly received = new Map<string, ReceivedInfo>();
  duplicates = 0;
  /** Receive times in arrival order (for windowed rates). */
  readonly arrivals: number[] = [];
  private consumer: Consumer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    /** Called with each first-seen response's parsed body (live benchmarks keep more than the summary). */
    private readonly onResponse?: (id: string, body: unknown, receivedAt: number) => void,
  ) {}

  get count(): number {
    return this.received.size;
  }

  async start(): Promise<this> {
    this.consumer = await consumeFromBeginning(this.kafka, this.topic, { groupId: `bench-collector-${randomUUID()}`, maxWaitTimeInMs: 500 }, async ({ batch }) => {
      const receivedAt = nowMs();
      for (const message of batch.messages) {
        const id = message.key?.toString() ?? '';
        if (this.received.has(id)) {
          this.duplicates++;
          continue;
        }
        const json = JSON.parse(message.value!.toString()) as { status: string; latencyMs: number; attempts?: Array<{ latencyMs: number }> };
        this.received.set(id, {
          receivedAt,
          recordTs: Number(message.timestamp),
          status: json.status,
          routeMs: json.latencyMs,
          attemptMs: json.attempts?.[0]?.latencyMs,
          attempts: json.attempts?.length ?? 0,
        });
        this.arrivals.push(receivedAt);
        this.onResponse?.(id, json, receivedAt);
      }
    });
    return this;
  }

  async waitFor(n: number, timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.received.size < n) {
      if (Date.now() > until) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

/**
 * A consumer reading `topic` from its beginning batch by batch, committing nothing (every reader
 * has a group of its own); resolves once it has joined its group, so nothing published after is missed.
 */
export async function consumeFromBeginning(kafka: Kafka, topic: string, config: { groupId: string; maxWaitTimeInMs: number }, eachBatch: EachBatchHandler): Promise<Consumer> {
  const consumer = kafka.consumer({ ...config, maxBytesPerPartition: 4 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({ autoCommit: false, eachBatch });
  await joined;
  return consumer;
}

/**
 * Warms a freshly started broker's JIT before anything is measured: a long-running production
 * broker is compiled code, one started seconds ago spends a core compiling (it showed as 0.5–1
 * broker cores under a 500 req/s paced load). Produces paced batches to a scratch topic while a
 * consumer reads them, for `seconds`, then deletes the topic.
 */
export async function warmBroker(kafka: Kafka, seconds: number, partitions: number): Promise<{ messages: number }> {
  const topic = `bench-warmup-${randomUUID().slice(0, 8)}`;
  await createTopics(kafka, [topic], partitions);
  const producer = await connectLoadProducer(kafka);
  const consumer = kafka.consumer({ groupId: `${topic}-group`, maxWaitTimeInMs: 100 });
  let consumed = 0;
  let produced = 0;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatch: async ({ batch }) => void (consumed += batch.messages.length) });
    const value = JSON.stringify(benchRequest('warmup'));
    const until = Date.now() + seconds * 1000;
    for (let i = 0; Date.now() < until; i++) {
      // Small batches often (the paced phases' pattern), a large one now and then (the drain's).
      const size = i % 50 === 49 ? 1_000 : 5;
      await producer.send({ topic, acks: -1, messages: Array.from({ length: size }, (_, k) => ({ key: `w${i}-${k}`, value })) });
      produced += size;
      await new Promise((r) => setTimeout(r, 2));
    }
    const settle = Date.now() + 5_000;
    while (consumed < produced && Date.now() < settle) await new Promise((r) => setTimeout(r, 50));
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await deleteTopics(kafka, [topic]);
  }
  return { messages: produced };
}
