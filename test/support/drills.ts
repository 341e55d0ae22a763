// Helpers for the failure drills (test/drills): paced load, the test broker's stop/start, consumer
// lag, what the simulator saw per request id, and a sink that records everything a run exported.
import { createServer, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { Kafka, Producer } from 'kafkajs';
import type { ProviderSim } from '../../apps/provider-sim/src';
import { kafkaSh, kafkaShEnv } from './global-setup';
import { readTestEnv } from './env';
import { request } from './kafka-io';
import type { RequestV1Input } from '@switchyard/contracts';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 200 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

/**
 * Publishes `ids` as requests at about `perSecond`, in small batches keyed by id. A failed send
 * (broker down) is retried until it goes through, so the load survives a broker restart; the
 * returned promise resolves once every request is in Kafka.
 */
export async function steadyLoad(
  producer: Producer,
  topic: string,
  ids: readonly string[],
  perSecond: number,
  build: (id: string) => RequestV1Input = (id) => request(id),
): Promise<{ sendRetries: number }> {
  const tickMs = 100;
  const perTick = Math.max(1, Math.round((perSecond * tickMs) / 1000));
  const started = Date.now();
  let sendRetries = 0;
  for (let i = 0, tick = 0; i < ids.length; i += perTick, tick++) {
    const batch = ids.slice(i, i + perTick).map((id) => ({ key: id, value: JSON.stringify(build(id)) }));
    for (;;) {
      try {
        await producer.send({ topic, messages: batch });
        break;
      } catch {
        sendRetries++;
        await sleep(500);
      }
    }
    const due = started + (tick + 1) * tickMs;
    if (due > Date.now()) await sleep(due - Date.now());
  }
  return { sendRetries };
}

/** Stops and starts the broker test/support/global-setup.ts started (same port, run and data dir). */
export interface BrokerControl {
  stop(): void;
  start(): void;
}

export function testBrokerControl(): BrokerControl {
  const env = readTestEnv();
  if (!env?.startedKafka || !env.kafkaRunDir || !env.kafkaPort || !env.kafkaControllerPort) {
    throw new Error('the broker drill needs the broker the e2e global setup starts (KAFKA_BROKERS points at an external cluster it must not stop)');
  }
  const shEnv = kafkaShEnv({ port: env.kafkaPort, controllerPort: env.kafkaControllerPort, runDir: env.kafkaRunDir });
  return { stop: () => kafkaSh('stop', shEnv), start: () => kafkaSh('start', shEnv) };
}

/** Per partition: the group's lag on `topic` (high watermark − committed; log start when none). */
export async function groupLag(kafka: Kafka, groupId: string, topic: string): Promise<number[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [ends, groups] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
    const committed = new Map<number, number>();
    for (const p of groups.find((g) => g.topic === topic)?.partitions ?? []) committed.set(p.partition, Number(p.offset));
    return ends
      .sort((a, b) => a.partition - b.partition)
      .map((end) => {
        const c = committed.get(end.partition);
        const from = c === undefined || c < 0 ? Number(end.low) : c;
        return Math.max(0, Number(end.high) - from);
      });
  } finally {
    await admin.disconnect();
  }
}

/** Sum of `switchyard_consumer_lag` samples in a Prometheus text exposition (NaN when absent). */
export function consumerLagFromMetrics(text: string): number {
  const samples = text.split('\n').filter((l) => l.startsWith('switchyard_consumer_lag{'));
  if (samples.length === 0) return NaN;
  return samples.reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/** Simulator calls per request id (header x-switchyard-request-id), optionally only one outcome. */
export function simCallsById(sim: ProviderSim, outcome?: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const call of sim.calls()) {
    if (!call.requestId || (outcome !== undefined && call.outcome !== outcome)) continue;
    calls.set(call.requestId, (calls.get(call.requestId) ?? 0) + 1);
  }
  return calls;
}

/**
 * An HTTP server that accepts anything (OTLP exports, for instance: point
 * OTEL_EXPORTER_OTLP_ENDPOINT at it) and keeps every body, un-gzipped, for searching.
 */
export interface CaptureSink {
  url: string;
  bodies: Buffer[];
  close(): Promise<void>;
}

export async function startCaptureSink(): Promise<CaptureSink> {
  const bodies: Buffer[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      bodies.push(Buffer.concat([Buffer.from(`${req.method} ${req.url}\n`), body]));
      res.writeHead(200, { 'content-type': String(req.headers['content-type'] ?? 'application/json') });
      res.end(req.headers['content-type']?.includes('json') ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
