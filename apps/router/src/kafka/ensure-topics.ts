import type { Kafka } from 'kafkajs';

/**
 * Creates the topics the router reads and writes when they are missing. Brokers with topic
 * auto-creation off (the norm in production) would otherwise fail the subscribe with
 * "This server does not host this topic-partition". Existing topics are left untouched.
 */
export async function ensureTopics(kafka: Kafka, topics: string[], numPartitions: number): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(topics)].filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions })) });
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
}
