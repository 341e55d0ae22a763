// The physical-limit reference of bench:throughput (issue 22): a bare Kafka echo in its own process.
// It consumes the requests topic and produces one response per request with the router's Kafka
// client, consumer and producer settings (parsed from the same environment the router gets), and
// does nothing else: no decoding, no routing, no provider call, no idempotency store. What it costs
// per request, and how fast and with what added latency it answers, is what the Kafka round trip
// alone costs on this machine; the router's figures are reported as ratios to it.
//
// Run by bench/throughput/run.ts (node dist/bench/throughput/echo-process.js, router env); prints
// "echo ready" once it has joined its group, and leaves the group on SIGTERM.
import type { EachBatchPayload, Message } from 'kafkajs';
import { parseEnv } from '../../apps/router/src/config/env';
import { requestConsumerConfig } from '../../apps/router/src/kafka/kafka-request-transport';
import { createKafka, outputProducerConfig } from '../../apps/router/src/pipeline/kafka-clients';

async function main(): Promise<void> {
  const env = parseEnv();
  const kafka = createKafka(env);
  const consumer = kafka.consumer(
    requestConsumerConfig({
      groupId: env.KAFKA_GROUP_ID,
      sessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT_MS,
      heartbeatIntervalMs: env.KAFKA_HEARTBEAT_INTERVAL_MS,
      maxWaitTimeMs: env.KAFKA_MAX_WAIT_MS,
      minBytes: env.KAFKA_MIN_BYTES,
      maxBytesPerPartition: env.KAFKA_MAX_BYTES_PER_PARTITION,
    }),
  );
  const producer = kafka.producer(outputProducerConfig());
  await producer.connect();
  // Offsets to commit, per partition: the next one after the last answered record (as the router's
  // tracker does, on the same interval).
  const next = new Map<number, string>();
  const commit = async () => {
    if (next.size === 0) return;
    const offsets = [...next].map(([partition, offset]) => ({ topic: env.TOPIC_REQUESTS, partition, offset }));
    next.clear();
    await consumer.commitOffsets(offsets).catch(() => undefined);
  };
  const timer = setInterval(() => void commit(), env.ROUTER_COMMIT_INTERVAL_MS);
  const eachBatch = async ({ batch, resolveOffset, heartbeat }: EachBatchPayload) => {
    if (batch.messages.length === 0) return;
    // A response body of about the router's size, built without parsing the request: the record
    // bytes on the wire are comparable, the work is not (that difference is what is measured).
    const messages: Message[] = batch.messages.map((m) => ({
      key: m.key,
      value: `{"schemaVersion":1,"status":"ok","latencyMs":0,"echo":${m.value?.toString() ?? 'null'}}`,
      headers: { 'content-type': 'application/json' },
    }));
    await producer.send({ topic: env.TOPIC_RESPONSES, messages, acks: -1 });
    const last = batch.messages[batch.messages.length - 1].offset;
    resolveOffset(last);
    next.set(batch.partition, String(Number(last) + 1));
    await heartbeat();
  };
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.connect();
  await consumer.subscribe({ topics: [env.TOPIC_REQUESTS], fromBeginning: true });
  await consumer.run({ autoCommit: false, partitionsConsumedConcurrently: env.ROUTER_PARTITIONS_CONCURRENCY, eachBatch });
  await joined;
  process.stdout.write('echo ready\n');
  const stop = async () => {
    clearInterval(timer);
    await commit();
    await consumer.disconnect();
    await producer.disconnect();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`echo failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
