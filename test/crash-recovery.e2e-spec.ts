import type { Kafka, Producer } from 'kafkajs';
import { startProviderSim, type ProviderSim } from '../apps/provider-sim/src';
import { connectProducer, createTopics, publishRaw, request, testKafka, TopicCollector, uniqueTopics } from './support/kafka-io';
import { routingTableFor, startRouter, stopRouter, type RouterProcess } from './support/router-process';

/**
 * kill -9 mid-run, then a restart: every request is answered, and no id that was answered before
 * the crash reaches a provider again (its redelivery is answered from the response log).
 */
describe('crash recovery', () => {
  const topics = uniqueTopics('crash');
  let sim: ProviderSim;
  let kafka: Kafka;
  let producer: Producer;
  let responses: TopicCollector;
  let router: RouterProcess | undefined;

  beforeAll(async () => {
    sim = await startProviderSim({
      seed: 11,
      config: { models: [{ name: 'gpt-4o-mini', api: 'openai', latency: { medianMs: 300, p95Ms: 600 } }] },
    });
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

  it('answers every request after kill -9 and never calls a provider again for an answered id', async () => {
    const env = {
      ...topics.env(),
      ROUTING_TABLE: routingTableFor(sim.url, [{ id: 'only', provider: 'openai', model: 'gpt-4o-mini' }]),
      // Commit rarely so the crash leaves many answered-but-uncommitted requests to be redelivered.
      ROUTER_COMMIT_INTERVAL_MS: '5000',
      ROUTER_MAX_IN_FLIGHT: '40',
      // A killed member holds its partitions until its session times out; keep the test short.
      KAFKA_SESSION_TIMEOUT_MS: '8000',
      KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
    };
    router = await startRouter(env);
    const ids = Array.from({ length: 600 }, (_, i) => `c-${i}`);
    await publishRaw(producer, topics.requests, ids.map((id) => ({ key: id, value: JSON.stringify(request(id)) })));

    await responses.waitFor((c) => c.distinctKeys() >= 150, 60_000, '150 responses before the crash');
    router.kill('SIGKILL');
    await router.exited;
    // The dead process publishes nothing more; let the collector catch up with what it did publish.
    await new Promise((r) => setTimeout(r, 2_000));
    const answeredBeforeCrash = new Set(responses.records.map((r) => r.key!));
    expect(answeredBeforeCrash.size).toBeLessThan(ids.length);

    router = await startRouter(env);
    await responses.waitFor((c) => c.distinctKeys() >= ids.length, 120_000, 'every request answered after restart');

    const callsById = new Map<string, number>();
    for (const call of sim.calls()) callsById.set(call.requestId!, (callsById.get(call.requestId!) ?? 0) + 1);
    const repeated = [...answeredBeforeCrash].filter((id) => (callsById.get(id) ?? 0) !== 1);
    expect(repeated).toEqual([]);
    for (const id of ids) expect(callsById.get(id)).toBeGreaterThanOrEqual(1);

    // Any duplicate on the response topic is a byte-identical re-publish.
    for (const [, records] of responses.byKey()) {
      for (const r of records) expect(r.value.equals(records[0].value)).toBe(true);
    }
    expect(router.output()).toMatch(/loaded \d+ answered request ids/);
  });
});
