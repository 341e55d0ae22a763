import { Logger } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { StoredAnswer } from '@switchyard/core';
import { headersToStrings } from '../kafka/inbound-message';
import { REFUSAL_HEADER, REQUEST_HASH_HEADER } from './request-hash';

/**
 * Rebuilds the in-memory idempotency store from the responses topic at start, up to the end
 * offsets seen at that moment. After a crash or a kill -9, requests that were answered but whose
 * offsets were not yet committed are redelivered; this is what lets them be answered again from
 * the log instead of calling a provider (and charging) twice. Kafka is the durable store here.
 */
export async function warmFromResponses(kafka: Kafka, topic: string, store: { putAt(answer: StoredAnswer, at: number): void }, ttlMs: number): Promise<number> {
  const logger = new Logger('IdempotencyWarmup');
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = await admin.listTopics();
    if (!topics.includes(topic)) {
      logger.log(`${topic} does not exist yet: nothing to warm`);
      return 0;
    }
    const since = Date.now() - ttlMs;
    const ends = await admin.fetchTopicOffsets(topic);
    const starts = await admin.fetchTopicOffsetsByTimestamp(topic, since);
    const pending = new Map<number, bigint>();
    for (const end of ends) {
      const start = starts.find((s) => s.partition === end.partition);
      const from = BigInt(start && Number(start.offset) >= 0 ? start.offset : end.high);
      if (from < BigInt(end.high)) pending.set(end.partition, BigInt(end.high));
    }
    if (pending.size === 0) return 0;
    const started = Date.now();
    let loaded = 0;
    const consumer = kafka.consumer({ groupId: `switchyard-warmup-${process.pid}-${started}` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      consumer.on(consumer.events.GROUP_JOIN, () => {
        for (const [partition] of pending) {
          const start = starts.find((s) => s.partition === partition);
          consumer.seek({ topic, partition, offset: start && Number(start.offset) >= 0 ? start.offset : '0' });
        }
      });
      const done = new Promise<void>((resolve) => {
        void consumer.run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const end = pending.get(batch.partition);
            if (end === undefined) return;
            for (const m of batch.messages) {
              if (BigInt(m.offset) >= end) break;
              const answer = storedAnswerOf(topic, m.key, m.value, headersToStrings(m.headers));
              if (!answer) continue;
              store.putAt(answer, Number(m.timestamp));
              loaded++;
            }
            if (BigInt(batch.lastOffset()) + 1n >= end) {
              pending.delete(batch.partition);
              if (pending.size === 0) resolve();
            }
          },
        });
      });
      await done;
    } finally {
      await consumer.disconnect();
    }
    logger.log(`loaded ${loaded} answered request ids from ${topic} in ${Date.now() - started} ms`);
    return loaded;
  } finally {
    await admin.disconnect();
  }
}

/** A response record as the id's stored answer; undefined for refusals and records that name no caller. */
export function storedAnswerOf(topic: string, key: Buffer | null | undefined, value: Buffer | null | undefined, headers: Record<string, string>): StoredAnswer | undefined {
  const id = key?.toString('utf8');
  if (!id || !value || headers[REFUSAL_HEADER] !== undefined) return undefined;
  const tenant = tenantOf(value);
  if (tenant === undefined) return undefined;
  const requestHash = headers[REQUEST_HASH_HEADER];
  return { requestId: id, tenant, topic, value, headers, ...(requestHash ? { requestHash } : {}) };
}

function tenantOf(value: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(value.toString('utf8')) as { tenant?: unknown };
    return typeof parsed.tenant === 'string' ? parsed.tenant : undefined;
  } catch {
    return undefined;
  }
}
