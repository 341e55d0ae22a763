import { randomUUID } from 'node:crypto';
import { windowId } from '@switchyard/core';
import { createRedisClient } from '../../apps/router/src/state/create-state-stores';
import { RedisBudgetStore } from '../../apps/router/src/state/redis-budget-store';
import { eventually, simCallsById, sleep, steadyLoad } from '../support/drills';
import type { RouterProcess } from '../support/router-process';
import { useStack } from '../support/stack';

/**
 * Drill: three replicas in one consumer group sharing Redis (STATE_BACKEND=redis), steady load,
 * kill -9 of one replica mid-run. Nothing is lost: every request id is answered, duplicates on
 * the response topic are byte-identical re-publishes, no id answered before the kill reaches a
 * provider again, and the shared budget ledger holds exactly what the answers cost (no id charged
 * twice) within what the providers really served.
 */
describe('drill: three replicas, kill -9 one under load', () => {
  const PRICE_IN = 1;
  const PRICE_OUT = 2;
  const stack = useStack({
    prefix: 'drill-scale',
    seed: 21,
    models: [{ name: 'gpt-4o-mini', api: 'openai', latency: { medianMs: 200, p95Ms: 300 } }],
    arms: [{ id: 'only', provider: 'openai', model: 'gpt-4o-mini', pricing: { inputPer1M: PRICE_IN, outputPer1M: PRICE_OUT } }],
    tableYaml: 'budgets:\n  defaultTenant: { day: 1000 }\n  global: { day: 1000 }',
    extraTopics: (t) => [`${t.tag}.outcomes`],
    redis: true,
  });
  const { topics } = stack;
  const prefix = `{drill-${randomUUID().slice(0, 8)}}:`;
  const routers: RouterProcess[] = [];

  it('answers every request exactly once in effect and charges no id twice', async () => {
    const env = {
      STATE_BACKEND: 'redis',
      REDIS_URL: stack.redis.url,
      REDIS_KEY_PREFIX: prefix,
      // The killed replica's holds stop counting quickly, so the ledger can be checked at the end.
      BUDGET_RESERVATION_TTL_MS: '2000',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
    };
    for (let i = 0; i < 3; i++) routers.push(await stack.startRouter(env));
    // Every replica owns partitions before the load starts.
    await eventually(() => routers.every((r) => /joined group .*: partitions \[\d/.test(r.output())), 30_000, 'three replicas to share the partitions');

    const ids = Array.from({ length: 600 }, (_, i) => `s-${i}`);
    const load = steadyLoad(stack.producer, topics.requests, ids, 50);
    await stack.responses.waitFor((c) => c.distinctKeys() >= 150, 60_000, '150 responses before the kill');
    const answeredBeforeKill = new Set(stack.responses.records.map((r) => r.key!));
    const victim = routers[1];
    victim.kill('SIGKILL');
    await victim.exited;
    await load;
    await stack.responses.waitFor((c) => c.distinctKeys() >= ids.length, 90_000, 'every request answered after the kill');
    await sleep(1_000); // late duplicates, if any, arrive too

    // Duplicates on the response topic are byte-identical re-publishes.
    const byKey = stack.responses.byKey();
    const differing = [...byKey].filter(([, records]) => records.some((r) => !r.value.equals(records[0].value))).map(([id]) => id);
    expect(differing).toEqual([]);
    for (const id of ids) expect(byKey.has(id)).toBe(true);

    // No id answered before the kill reached a provider again.
    const calls = simCallsById(stack.sim);
    const calledAgain = [...answeredBeforeKill].filter((id) => calls.get(id) !== 1);
    expect(calledAgain).toEqual([]);

    // The ledger: every answer charged once. Holds of the killed replica lapse after 2 s; the
    // survivors settled everything they answered.
    await sleep(2_500);
    const client = createRedisClient(stack.redis.url, 1_000);
    try {
      if (client.status !== 'ready') await new Promise<void>((resolve) => client.once('ready', () => resolve()));
      const store = new RedisBudgetStore(client, { prefix });
      const [tenant, global] = await store.usage([
        { key: 'tenant:e2e', windowId: windowId('day', Date.now()), capUsd: 1000 },
        { key: 'global', windowId: windowId('day', Date.now()), capUsd: 1000 },
      ]);
      const answered = [...byKey.values()].reduce((sum, records) => sum + ((records[0].json.usage as { costUsd: number }).costUsd ?? 0), 0);
      const served = stack.sim.calls().filter((c) => c.outcome === 'ok').reduce((sum, c) => sum + ((c.inputTokens ?? 0) * PRICE_IN + (c.outputTokens ?? 0) * PRICE_OUT) / 1e6, 0);
      const repeated = [...calls].filter(([, n]) => n > 1).map(([id]) => id);
      process.stderr.write(`[drill scale-out] ledger $${tenant.usedUsd.toFixed(6)}, answers $${answered.toFixed(6)}, provider-served $${served.toFixed(6)}; ids called more than once (all after the kill): ${repeated.length}\n`);
      expect(global.usedUsd).toBeCloseTo(tenant.usedUsd, 9);
      // Each answer is in the ledger...
      expect(tenant.usedUsd).toBeGreaterThanOrEqual(answered - 1e-9);
      // ...and nothing beyond what providers really served (a call the dead replica made but
      // never settled is not charged; an id whose call was repeated is charged per real call).
      expect(tenant.usedUsd).toBeLessThanOrEqual(served + 1e-9);
      if (repeated.length === 0) expect(tenant.usedUsd).toBeCloseTo(answered, 9);
    } finally {
      client.disconnect();
    }
  });
});
