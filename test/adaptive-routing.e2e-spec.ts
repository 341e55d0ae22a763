import { publishRaw, request } from './support/kafka-io';
import { useStack } from './support/stack';

interface Attempt {
  arm: string;
  outcome: string;
  costUsd: number;
}

/**
 * The adaptive policy through the real pipeline: Thompson sampling learns from outcomes, moves
 * traffic off a failing arm, and budget caps hold per tenant.
 */
describe('adaptive routing and budgets', () => {
  const stack = useStack({
    prefix: 'adaptive',
    seed: 21,
    models: [
      { name: 'gpt-4o-mini', api: 'openai', outputTokens: 100, latency: { medianMs: 40, p95Ms: 80 }, faults: { error5xx: 0.5, error5xxStatuses: [503] } },
      { name: 'claude-haiku-4-5', api: 'anthropic', outputTokens: 100, latency: { medianMs: 60, p95Ms: 120 } },
      { name: 'gpt-4o', api: 'openai', outputTokens: 100, latency: { medianMs: 60, p95Ms: 120 } },
    ],
    arms: [
      { id: 'flaky-cheap', provider: 'openai', model: 'gpt-4o-mini', pricing: { inputPer1M: 0.5, outputPer1M: 1 } },
      { id: 'steady', provider: 'anthropic', model: 'claude-haiku-4-5', pricing: { inputPer1M: 1, outputPer1M: 4 } },
      { id: 'pricey', provider: 'openai', model: 'gpt-4o', pricing: { inputPer1M: 5, outputPer1M: 20 } },
    ],
    tableYaml: ['policy: { selector: thompson, explorationRate: 0.02 }', 'budgets:', '  tenants:', '    small: { day: 0.002 }', 'resilience:', '  breaker: { consecutiveFailures: 1000, minimumCalls: 1000 }', '  retry: { perKind: { server_error: { maxAttempts: 3, backoff: { baseMs: 50, factor: 2, capMs: 200 } } } }'].join('\n'),
    router: {},
  });
  const { topics } = stack;

  async function wave(prefix: string, n: number, tenant = 'e2e'): Promise<Array<{ status: string; attempts: Attempt[]; usage: { costUsd: number }; error?: { kind: string; message: string } }>> {
    const ids = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
    await publishRaw(stack.producer, topics.requests, ids.map((id) => ({ key: id, value: JSON.stringify(request(id, { tenant, params: { maxTokens: 100 } })) })));
    await stack.responses.waitFor((c) => ids.every((id) => c.byKey().has(id)), 60_000, `wave ${prefix}`);
    const byKey = stack.responses.byKey();
    return ids.map((id) => byKey.get(id)![0].json as never);
  }

  const firstArms = (results: Array<{ attempts: Attempt[] }>) => results.map((r) => r.attempts[0].arm);
  const share = (arms: string[], arm: string) => arms.filter((a) => a === arm).length / arms.length;

  it('learns to avoid an arm that fails half its calls (breakers held off) and answers everything', async () => {
    const early: string[] = [];
    const late: string[] = [];
    for (let w = 0; w < 12; w++) {
      const results = await wave(`learn${w}`, 10);
      for (const r of results) expect(r.status).toBe('ok');
      (w < 2 ? early : late).push(...(w >= 6 ? firstArms(results) : []), ...(w < 2 ? firstArms(results) : []));
    }
    // It did try the cheap arm while it knew nothing, and stopped preferring it once it had failed.
    expect(early.length).toBe(20);
    expect(share(late, 'flaky-cheap')).toBeLessThan(0.25);
    // The health view exposes what the policy learnt.
    const routing = (await (await fetch(`http://127.0.0.1:${stack.router.port}/health/routing`)).json()) as { arms: Array<{ arm: string; policy: { successMean: number } | null }> };
    const flaky = routing.arms.find((a) => a.arm === 'flaky-cheap')!;
    const steady = routing.arms.find((a) => a.arm === 'steady')!;
    expect(flaky.policy!.successMean).toBeLessThan(steady.policy!.successMean);
  });

  it('moves traffic off an arm within a few requests of an outage', async () => {
    const before = firstArms(await wave('pre-outage', 10));
    const favourite = [...new Set(before)].sort((a, b) => share(before, b) - share(before, a))[0];
    expect(favourite).not.toBe('flaky-cheap');
    stack.sim.patchModel(favourite === 'steady' ? 'claude-haiku-4-5' : 'gpt-4o', { faults: { outage: true } });
    const during: string[] = [];
    for (let w = 0; w < 4; w++) {
      const results = await wave(`outage${w}`, 5);
      for (const r of results) expect(r.status).toBe('ok');
      during.push(...firstArms(results));
    }
    // After the first wave has taught it, the down arm gets (almost) no first attempts.
    expect(share(during.slice(5), favourite)).toBeLessThanOrEqual(0.1);
  });

  it('never spends past a tenant cap and refuses with budget_exceeded, leaving other tenants alone', async () => {
    const results = [];
    for (let w = 0; w < 6; w++) results.push(...(await wave(`small${w}`, 5, 'small')));
    const spent = results.reduce((sum, r) => sum + r.usage.costUsd, 0);
    expect(spent).toBeLessThanOrEqual(0.002);
    const refused = results.filter((r) => r.status === 'failed');
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.error!.kind).toBe('budget_exceeded');
      expect(r.error!.message).toMatch(/tenant small, day/);
    }
    const other = await wave('other-tenant', 5);
    for (const r of other) expect(r.status).toBe('ok');
  });
});
