import type { Kafka, Producer } from 'kafkajs';
import { startProviderSim, type ProviderSim } from '../../apps/provider-sim/src';
import { consumerLagFromMetrics, eventually, groupLag } from '../support/drills';
import { connectProducer, createTopics, publishRaw, request, testKafka, TopicCollector, uniqueTopics } from '../support/kafka-io';
import { routingTableFor, startRouter, stopRouter, type RouterProcess } from '../support/router-process';

const KNOWN_KINDS = new Set([
  'rate_limited', 'server_error', 'timeout_connect', 'timeout_read', 'network', 'auth', 'bad_request', 'context_overflow',
  'content_policy', 'partial', 'budget_exceeded', 'circuit_open', 'deadline_exceeded', 'no_eligible_arm',
]);

/**
 * Drill: every fault kind at once on every arm (429 with Retry-After, 5xx, connection resets,
 * hangs cut by a short arm timeout, content policy, truncation). Every request gets exactly one
 * final response (ok or a classified failure), no partition is stuck, and the lag returns to 0.
 */
describe('drill: provider chaos', () => {
  const topics = uniqueTopics('drill-chaos');
  let sim: ProviderSim;
  let kafka: Kafka;
  let producer: Producer;
  let responses: TopicCollector;
  let router: RouterProcess | undefined;

  const faults = { rate429: 0.1, retryAfterS: 1, error5xx: 0.1, connectionReset: 0.05, hang: 0.05, contentPolicy: 0.05, truncate: 0.05 };

  beforeAll(async () => {
    sim = await startProviderSim({
      seed: 24,
      config: {
        models: [
          { name: 'gpt-4o-mini', api: 'openai', latency: { medianMs: 60, p95Ms: 150 }, faults },
          { name: 'claude-haiku-4-5', api: 'anthropic', latency: { medianMs: 60, p95Ms: 150 }, faults },
        ],
      },
    });
    kafka = testKafka();
    await createTopics(kafka, [topics.requests, topics.responses, topics.dlq, topics.escalations, `${topics.tag}.outcomes`]);
    producer = await connectProducer(kafka);
    responses = await new TopicCollector(kafka, topics.responses).start();
  });

  afterAll(async () => {
    await Promise.all([responses?.stop(), producer?.disconnect()]);
    await stopRouter(router);
    await sim?.close();
  });

  it('answers every request exactly once and drains the lag to 0', async () => {
    router = await startRouter({
      ...topics.env(),
      ROUTER_DEFAULT_DEADLINE_MS: '15000',
      ROUTING_TABLE: routingTableFor(
        sim.url,
        [
          { id: 'oa', provider: 'openai', model: 'gpt-4o-mini', totalMs: 1500 },
          { id: 'an', provider: 'anthropic', model: 'claude-haiku-4-5', totalMs: 1500 },
        ],
        [
          'policy: { selector: thompson }',
          'resilience:',
          '  retry:',
          '    retryAfterCapMs: 1500',
          '    perKind: { server_error: { maxAttempts: 2, backoff: { baseMs: 50, capMs: 200 } }, network: { maxAttempts: 2, backoff: { baseMs: 50, capMs: 200 } } }',
        ].join('\n'),
      ),
    });
    const ids = Array.from({ length: 400 }, (_, i) => `x-${i}`);
    await publishRaw(producer, topics.requests, ids.map((id) => ({ key: id, value: JSON.stringify(request(id)) })));
    await responses.waitFor((c) => c.distinctKeys() >= ids.length, 75_000, 'every request answered under chaos');

    // Lag 0 on every partition: nothing stuck behind a hung call or a failed request.
    const group = `${topics.tag}-router`;
    await eventually(async () => (await groupLag(kafka, group, topics.requests)).every((l) => l === 0), 20_000, 'consumer lag 0 on every partition');
    await eventually(
      async () => consumerLagFromMetrics(await (await fetch(`http://127.0.0.1:${router!.port}/metrics`)).text()) === 0,
      20_000,
      'switchyard_consumer_lag to report 0',
    );

    // Exactly one response per id (no crash, no rebalance: no re-publish either).
    const byKey = responses.byKey();
    const counts = ids.map((id) => byKey.get(id)?.length ?? 0);
    expect(counts.filter((n) => n !== 1)).toEqual([]);
    const statuses = new Map<string, number>();
    for (const id of ids) {
      const r = byKey.get(id)![0].json as { status: string; error?: { kind: string } };
      if (r.status !== 'ok') expect(KNOWN_KINDS.has(r.error?.kind ?? '')).toBe(true);
      const label = r.status === 'ok' ? 'ok' : `failed:${r.error!.kind}`;
      statuses.set(label, (statuses.get(label) ?? 0) + 1);
    }
    const outcomes = sim.stats().byOutcome;
    process.stderr.write(`[drill chaos] responses ${JSON.stringify(Object.fromEntries(statuses))}; provider outcomes ${JSON.stringify(outcomes)}\n`);
    // Every fault kind really happened.
    for (const outcome of ['429', 'reset', 'hang']) expect(Object.keys(outcomes)).toContain(outcome);
    expect(Object.keys(outcomes).some((o) => o.startsWith('5'))).toBe(true);
    // Breakers open under this much failure (circuit_open answers); the rest is still served.
    expect(statuses.get('ok') ?? 0).toBeGreaterThan(ids.length / 4);
  });
});
