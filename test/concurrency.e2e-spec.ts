import type { Kafka, Producer } from 'kafkajs';
import { startProviderSim, type ProviderSim } from '../apps/provider-sim/src';
import { connectProducer, createTopics, publishRaw, request, testKafka, TopicCollector, uniqueTopics } from './support/kafka-io';
import { routingTableFor, startRouter, stopRouter, type RouterProcess } from './support/router-process';

/**
 * With 2-second provider latency, one instance must keep hundreds of calls in flight (the stock
 * NestJS Kafka transport would do one per partition), and a SIGTERM must drain them: every
 * in-flight request answered, offsets committed, nothing re-called by the next instance.
 */
describe('concurrency and graceful drain', () => {
  const topics = uniqueTopics('concurrency');
  let sim: ProviderSim;
  let kafka: Kafka;
  let producer: Producer;
  let responses: TopicCollector;
  let router: RouterProcess | undefined;
  let routingTable: string;

  beforeAll(async () => {
    sim = await startProviderSim({
      seed: 3,
      config: { models: [{ name: 'gpt-4o-mini', api: 'openai', latency: { medianMs: 2_000, p95Ms: 2_000 } }] },
    });
    routingTable = routingTableFor(sim.url, [{ id: 'slow', provider: 'openai', model: 'gpt-4o-mini' }]);
    kafka = testKafka();
    await createTopics(kafka, [topics.requests, topics.responses, topics.dlq]);
    producer = await connectProducer(kafka);
    responses = await new TopicCollector(kafka, topics.responses).start();
  });

  afterAll(async () => {
    await Promise.all([responses?.stop(), producer?.disconnect()]);
    await stopRouter(router);
    await sim?.close();
  });

  it('keeps at least 200 provider calls in flight from one instance', async () => {
    router = await startRouter({ ...topics.env(), ROUTING_TABLE: routingTable, ROUTER_MAX_IN_FLIGHT: '256' });
    sim.resetPeak();
    const ids = Array.from({ length: 600 }, (_, i) => `k-${i}`);
    await publishRaw(producer, topics.requests, ids.map((id) => ({ key: id, value: JSON.stringify(request(id)) })));
    await responses.waitFor((c) => c.distinctKeys() >= 600, 90_000, '600 responses');
    expect(sim.stats().peakInFlight).toBeGreaterThanOrEqual(200);
    expect(sim.stats().peakInFlight).toBeLessThanOrEqual(256);
  });

  it('drains in-flight requests on SIGTERM and commits them', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => `d-${i}`);
    await publishRaw(producer, topics.requests, ids.map((id) => ({ key: id, value: JSON.stringify(request(id)) })));
    const started = Date.now();
    while (sim.calls().filter((c) => c.requestId?.startsWith('d-')).length < 100 && Date.now() - started < 30_000) {
      await new Promise((r) => setTimeout(r, 50));
    }
    router!.kill('SIGTERM');
    expect(await router!.exited).toBe(0);
    expect(router!.output()).toMatch(/draining/);
    const answered = new Set(responses.records.map((r) => r.key));
    await responses.waitFor((c) => ids.every((id) => c.byKey().has(id)), 10_000, 'drained answers');
    expect(ids.filter((id) => !answered.has(id) && !responses.byKey().has(id))).toEqual([]);

    // A new instance in the same group starts after the committed offsets: no call is repeated.
    const callsBefore = sim.calls().length;
    router = await startRouter({ ...topics.env(), ROUTING_TABLE: routingTable });
    await new Promise((r) => setTimeout(r, 3_000));
    expect(sim.calls().length).toBe(callsBefore);
  });
});
