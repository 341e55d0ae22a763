import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { DEFAULT_TOPICS, type RequestV1Input, type ResponseV1 } from '@switchyard/contracts';
import { intArg, parseArgs, strArg } from './args';

const USAGE = `Publish request v1 messages to Switchyard and print the responses.

  npm run publish -- --text "Summarise Kafka in one line" [options]

  --text TEXT         user message (required)
  --count N           how many requests to publish [1]
  --tenant NAME       budget owner [cli]
  --class NAME        request class [default]
  --models A,B        restrict routing to these arm ids or models
  --max-tokens N      params.maxTokens
  --deadline-ms N     routing.deadlineMs
  --deadline-at TIME  routing.deadlineAt (RFC 3339, e.g. 2026-12-08T06:00:00Z)
  --batch MODE        routing.batch: never | allow | prefer (docs/batch.md)
  --brokers LIST      Kafka brokers [KAFKA_BROKERS or 127.0.0.1:9092]
  --topic NAME        request topic [TOPIC_REQUESTS or llm.requests]
  --responses NAME    response topic [TOPIC_RESPONSES or llm.responses]
  --no-wait           publish and exit without waiting for responses
  --timeout-ms N      how long to wait for responses [60000]`;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.help || typeof args.text !== 'string') {
    process.stdout.write(`${USAGE}\n`);
    process.exit(args.help ? 0 : 2);
  }
  const brokers = strArg(args, 'brokers', process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const topic = strArg(args, 'topic', process.env.TOPIC_REQUESTS ?? DEFAULT_TOPICS.requests);
  const responsesTopic = strArg(args, 'responses', process.env.TOPIC_RESPONSES ?? DEFAULT_TOPICS.responses);
  const count = intArg(args, 'count', 1);
  const timeoutMs = intArg(args, 'timeout-ms', 60_000);
  const kafka = new Kafka({ clientId: 'switchyard-publish', brokers, logLevel: logLevel.NOTHING });

  const ids = Array.from({ length: count }, () => `cli-${randomUUID()}`);
  const waiting = new Set(ids);
  const consumer = kafka.consumer({ groupId: `switchyard-publish-${randomUUID()}` });
  const wait = args['no-wait'] !== true;
  if (wait) {
    await consumer.connect();
    await consumer.subscribe({ topics: [responsesTopic], fromBeginning: false });
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.run({
      eachMessage: async ({ message }) => {
        const id = message.key?.toString();
        if (!id || !waiting.has(id) || !message.value) return;
        waiting.delete(id);
        const response = JSON.parse(message.value.toString()) as ResponseV1;
        const line =
          response.status === 'ok'
            ? `${id} ok via ${response.servedBy?.arm}${response.servedVia === 'batch' ? ` (batch ${response.batch?.id})` : ''} in ${response.latencyMs} ms ($${response.usage.costUsd}): ${response.output?.text}`
            : `${id} FAILED ${response.error?.kind}: ${response.error?.message}`;
        process.stdout.write(`${line}\n`);
      },
    });
    await joined;
  }
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 5_000 } });
  await producer.connect();
  const models = typeof args.models === 'string' ? args.models.split(',') : undefined;
  const maxTokens = args['max-tokens'] === undefined ? undefined : intArg(args, 'max-tokens', 0);
  await producer.send({
    topic,
    messages: ids.map((id) => {
      const request: RequestV1Input = {
        schemaVersion: 1,
        id,
        tenant: strArg(args, 'tenant', 'cli'),
        class: strArg(args, 'class', 'default'),
        messages: [{ role: 'user', content: args.text as string }],
        params: maxTokens ? { maxTokens } : {},
        routing: {
          ...(models ? { models } : {}),
          ...(args['deadline-ms'] !== undefined ? { deadlineMs: intArg(args, 'deadline-ms', 0) } : {}),
          ...(typeof args['deadline-at'] === 'string' ? { deadlineAt: args['deadline-at'] } : {}),
          ...(typeof args.batch === 'string' ? { batch: args.batch as 'never' | 'allow' | 'prefer' } : {}),
        },
      };
      return { key: id, value: JSON.stringify(request), headers: { 'content-type': 'application/json' } };
    }),
  });
  process.stdout.write(`published ${count} request(s) to ${topic}\n`);
  await producer.disconnect();
  if (!wait) return;
  const started = Date.now();
  while (waiting.size > 0 && Date.now() - started < timeoutMs) await new Promise((r) => setTimeout(r, 100));
  await consumer.disconnect();
  if (waiting.size > 0) {
    process.stderr.write(`no response within ${timeoutMs} ms for ${waiting.size} request(s); is the router running and consuming ${topic}?\n`);
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`publish: ${(err as Error).message}\n`);
  process.exit(1);
});
