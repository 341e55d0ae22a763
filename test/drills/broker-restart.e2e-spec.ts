import type { Kafka, Producer } from 'kafkajs';
import { startProviderSim, type ProviderSim } from '../../apps/provider-sim/src';
import { eventually, groupLag, sleep, steadyLoad, testBrokerControl } from '../support/drills';
import { connectProducer, createTopics, testKafka, TopicCollector, uniqueTopics } from '../support/kafka-io';
import { routingTableFor, startRouter, stopRouter, type RouterProcess } from '../support/router-process';

/**
 * Drill: the broker goes away for ~5 s in the middle of steady load and comes back on the same
 * port and data dir. The router's consumer and producer, the test's producer and collector all
 * reconnect; every request is answered (duplicates only byte-identical) and the lag returns to 0.
 */
describe('drill: broker stop and start mid-load', () => {
  const topics = uniqueTopics('drill-broker');
  let sim: ProviderSim;
  let kafka: Kafka;
  let producer: Producer;
  let responses: TopicCollector;
  let router: RouterProcess | undefined;
  const broker = testBrokerControl();

  beforeAll(async () => {
    sim = await startProviderSim({ seed: 22, config: { models: [{ name: 'gpt-4o-mini', api: 'openai', latency: { medianMs: 200, p95Ms: 300 } }] } });
    kafka = testKafka();
    await createTopics(kafka, [topics.requests, topics.responses, topics.dlq, `${topics.tag}.outcomes`]);
    producer = await connectProducer(kafka);
    responses = await new TopicCollector(kafka, topics.responses).start();
  });

  afterAll(async () => {
    await Promise.all([responses?.stop(), producer?.disconnect()]);
    await stopRouter(router);
    await sim?.close();
  });

  it('recovers producers and consumers and answers every request', async () => {
    router = await startRouter({
      ...topics.env(),
      ROUTING_TABLE: routingTableFor(sim.url, [{ id: 'only', provider: 'openai', model: 'gpt-4o-mini' }]),
    });
    const ids = Array.from({ length: 400 }, (_, i) => `b-${i}`);
    const load = steadyLoad(producer, topics.requests, ids, 40);
    await responses.waitFor((c) => c.distinctKeys() >= 60, 60_000, '60 responses before the broker stops');

    const stoppedAt = Date.now();
    broker.stop();
    await sleep(5_000);
    broker.start();
    process.stderr.write(`[drill broker] broker down for ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s\n`);

    const { sendRetries } = await load;
    await responses.waitFor((c) => c.distinctKeys() >= ids.length, 90_000, 'every request answered after the broker restart');
    const byKey = responses.byKey();
    for (const id of ids) expect(byKey.has(id)).toBe(true);
    const differing = [...byKey].filter(([, records]) => records.some((r) => !r.value.equals(records[0].value))).map(([id]) => id);
    expect(differing).toEqual([]);
    expect(router.child.exitCode).toBeNull(); // it rode the outage out instead of crashing
    await eventually(async () => (await groupLag(kafka, `${topics.tag}-router`, topics.requests)).every((l) => l === 0), 30_000, 'the router group to commit every request');
    process.stderr.write(`[drill broker] test producer retried ${sendRetries} sends; ${responses.records.length} response records for ${ids.length} ids\n`);
  });
});
