import type { Kafka, Producer } from 'kafkajs';
import { startProviderSim, type ProviderSim } from '../apps/provider-sim/src';
import { connectProducer, createTopics, publishRaw, request, testKafka, TopicCollector, uniqueTopics } from './support/kafka-io';
import { routingTableFor, startRouter, stopRouter, type RouterProcess } from './support/router-process';

/**
 * One partition, a small window: requests of the same partition run concurrently up to the
 * window (not one at a time), never beyond it, and the partition is paused and resumed until
 * everything is answered.
 */
describe('partition window', () => {
  const topics = uniqueTopics('window');
  let sim: ProviderSim;
  let kafka: Kafka;
  let producer: Producer;
  let responses: TopicCollector;
  let router: RouterProcess | undefined;

  beforeAll(async () => {
    sim = await startProviderSim({ seed: 5, config: { models: [{ name: 'gpt-4o-mini', api: 'openai', latency: { medianMs: 150, p95Ms: 150 } }] } });
    kafka = testKafka();
    await createTopics(kafka, [topics.requests], 1);
    await createTopics(kafka, [topics.responses, topics.dlq]);
    producer = await connectProducer(kafka);
    responses = await new TopicCollector(kafka, topics.responses).start();
  });

  afterAll(async () => {
    await Promise.all([responses?.stop(), producer?.disconnect()]);
    await stopRouter(router);
    await sim?.close();
  });

  it('keeps exactly the window in flight within one partition and answers everything', async () => {
    router = await startRouter({
      ...topics.env(),
      ROUTING_TABLE: routingTableFor(sim.url, [{ id: 'only', provider: 'openai', model: 'gpt-4o-mini' }]),
      ROUTER_PARTITION_WINDOW: '8',
    });
    sim.resetPeak();
    const ids = Array.from({ length: 200 }, (_, i) => `w-${i}`);
    await publishRaw(producer, topics.requests, ids.map((id) => ({ key: id, value: JSON.stringify(request(id)) })));
    await responses.waitFor((c) => c.distinctKeys() >= 200, 60_000, '200 responses');
    expect(sim.stats().peakInFlight).toBe(8);
    expect(responses.records).toHaveLength(200);
  });
});
