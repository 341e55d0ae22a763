import { consumerLagFromMetrics, eventually, groupLag } from '../support/drills';
import { useStack } from '../support/stack';

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
  const faults = { rate429: 0.1, retryAfterS: 1, error5xx: 0.1, connectionReset: 0.05, hang: 0.05, contentPolicy: 0.05, truncate: 0.05 };
  const stack = useStack({
    prefix: 'drill-chaos',
    seed: 24,
    models: [
      { name: 'gpt-4o-mini', api: 'openai', latency: { medianMs: 60, p95Ms: 150 }, faults },
      { name: 'claude-haiku-4-5', api: 'anthropic', latency: { medianMs: 60, p95Ms: 150 }, faults },
    ],
    arms: [
      { id: 'oa', provider: 'openai', model: 'gpt-4o-mini', totalMs: 1500 },
      { id: 'an', provider: 'anthropic', model: 'claude-haiku-4-5', totalMs: 1500 },
    ],
    tableYaml: [
      'policy: { selector: thompson }',
      'resilience:',
      '  retry:',
      '    retryAfterCapMs: 1500',
      '    perKind: { server_error: { maxAttempts: 2, backoff: { baseMs: 50, capMs: 200 } }, network: { maxAttempts: 2, backoff: { baseMs: 50, capMs: 200 } } }',
    ].join('\n'),
    extraTopics: (t) => [t.escalations, `${t.tag}.outcomes`],
  });
  const { topics } = stack;

  it('answers every request exactly once and drains the lag to 0', async () => {
    await stack.startRouter({ ROUTER_DEFAULT_DEADLINE_MS: '15000' });
    const ids = Array.from({ length: 400 }, (_, i) => `x-${i}`);
    await stack.publish(ids);
    await stack.responses.waitFor((c) => c.distinctKeys() >= ids.length, 75_000, 'every request answered under chaos');

    // Lag 0 on every partition: nothing stuck behind a hung call or a failed request.
    const group = `${topics.tag}-router`;
    await eventually(async () => (await groupLag(stack.kafka, group, topics.requests)).every((l) => l === 0), 20_000, 'consumer lag 0 on every partition');
    await eventually(
      async () => consumerLagFromMetrics(await (await fetch(`http://127.0.0.1:${stack.router.port}/metrics`)).text()) === 0,
      20_000,
      'switchyard_consumer_lag to report 0',
    );

    // Exactly one response per id (no crash, no rebalance: no re-publish either).
    const byKey = stack.responses.byKey();
    const counts = ids.map((id) => byKey.get(id)?.length ?? 0);
    expect(counts.filter((n) => n !== 1)).toEqual([]);
    const statuses = new Map<string, number>();
    for (const id of ids) {
      const r = byKey.get(id)![0].json as { status: string; error?: { kind: string } };
      if (r.status !== 'ok') expect(KNOWN_KINDS.has(r.error?.kind ?? '')).toBe(true);
      const label = r.status === 'ok' ? 'ok' : `failed:${r.error!.kind}`;
      statuses.set(label, (statuses.get(label) ?? 0) + 1);
    }
    const outcomes = stack.sim.stats().byOutcome;
    process.stderr.write(`[drill chaos] responses ${JSON.stringify(Object.fromEntries(statuses))}; provider outcomes ${JSON.stringify(outcomes)}\n`);
    // Every fault kind really happened.
    for (const outcome of ['429', 'reset', 'hang']) expect(Object.keys(outcomes)).toContain(outcome);
    expect(Object.keys(outcomes).some((o) => o.startsWith('5'))).toBe(true);
    // Breakers open under this much failure (circuit_open answers); the rest is still served.
    expect(statuses.get('ok') ?? 0).toBeGreaterThan(ids.length / 4);
  });
});
