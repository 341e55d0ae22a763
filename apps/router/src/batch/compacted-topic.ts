import { randomUUID } from 'node:crypto';
import { Partitioners, type Admin, type Consumer, type Kafka, type Producer } from 'kafkajs';

/**
 * Reads a compacted topic from its beginning with a group of its own that commits nothing (every
 * start reads the whole topic again), handing each record to `apply`; resolves once everything
 * that was in the topic when it was called has been applied, and keeps following it after.
 * Creates the topic (`cleanup.policy=compact`, one partition) when missing.
 */
export async function followCompactedTopic(kafka: Kafka, topic: string, groupPrefix: string, apply: (key: string | undefined, value: Buffer | null) => void): Promise<Consumer> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    await ensureCompactedTopic(admin, topic);
    ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  } finally {
    await admin.disconnect();
  }
  const consumer = kafka.consumer({ groupId: `${groupPrefix}-${randomUUID()}`, allowAutoTopicCreation: false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const pending = new Set([...ends].filter(([, high]) => high > 0n).map(([p]) => p));
  let caughtUp!: () => void;
  const rebuilt = new Promise<void>((resolve) => (caughtUp = resolve));
  if (pending.size === 0) caughtUp();
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      apply(message.key?.toString(), message.value);
      if (pending.has(partition) && BigInt(message.offset) + 1n >= ends.get(partition)!) {
        pending.delete(partition);
        if (pending.size === 0) caughtUp();
      }
    },
  });
  await rebuilt;
  return consumer;
}

/**
 * The writer of a compacted topic: idempotent, and retrying without limit (an idempotent producer
 * keeps its sequence numbers only so), so a broker outage holds a write instead of losing it.
 */
export function durableProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 5_000 },
  });
}

async function ensureCompactedTopic(admin: Admin, topic: string): Promise<void> {
  if ((await admin.listTopics()).includes(topic)) return;
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
  });
}
