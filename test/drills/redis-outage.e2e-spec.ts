import { randomUUID } from 'node:crypto';
import { simCallsById, sleep } from '../support/drills';
import { publishRaw, request } from '../support/kafka-io';
import { singleArm, useStack } from '../support/stack';

interface Response {
  status: string;
  error?: { kind: string; message: string };
  attempts: Array<{ outcome: string }>;
}

/**
 * Drill: Redis stops and starts under a router with STATE_BACKEND=redis and budgets. While it is
 * down, a tenant with a budget cap fails closed (budget_exceeded, "budget store unavailable", no
 * provider call); a tenant no cap applies to is still served. Once Redis is back, both are served.
 * Every request gets its answer in each phase.
 */
describe('drill: Redis stop and start with budgets', () => {
  const stack = useStack({
    prefix: 'drill-redis',
    seed: 23,
    ...singleArm({ medianMs: 30, p95Ms: 60 }),
    tableYaml: 'budgets:\n  tenants:\n    capped: { day: 100 }',
    extraTopics: (t) => [`${t.tag}.outcomes`],
    redis: true,
  });
  const { topics } = stack;

  async function phase(name: string): Promise<Map<string, Response>> {
    const ids = [...Array.from({ length: 20 }, (_, i) => `${name}-capped-${i}`), ...Array.from({ length: 20 }, (_, i) => `${name}-free-${i}`)];
    await publishRaw(stack.producer, topics.requests, ids.map((id) => ({ key: id, value: JSON.stringify(request(id, { tenant: id.includes('capped') ? 'capped' : 'free' })) })));
    await stack.responses.waitFor((c) => ids.every((id) => c.byKey().has(id)), 60_000, `every ${name} request answered`);
    const byKey = stack.responses.byKey();
    return new Map(ids.map((id) => [id, byKey.get(id)![0].json as unknown as Response]));
  }

  it('fails closed for capped tenants while Redis is down, then recovers', async () => {
    if (!stack.redis.managed) throw new Error('this drill stops and starts Redis: unset REDIS_URL so it can start its own');
    await stack.startRouter({
      STATE_BACKEND: 'redis',
      REDIS_URL: stack.redis.url,
      REDIS_KEY_PREFIX: `{drill-${randomUUID().slice(0, 8)}}:`,
      REDIS_COMMAND_TIMEOUT_MS: '300',
    });

    const before = await phase('before');
    for (const [id, r] of before) expect([id, r.status]).toEqual([id, 'ok']);

    stack.redis.stop();
    const during = await phase('during');
    const calls = simCallsById(stack.sim);
    for (const [id, r] of during) {
      if (id.includes('capped')) {
        expect([id, r.status, r.error?.kind]).toEqual([id, 'failed', 'budget_exceeded']);
        expect(r.error?.message).toMatch(/budget store unavailable/);
        expect([id, calls.get(id) ?? 0]).toEqual([id, 0]); // refused before any provider call
      } else {
        expect([id, r.status]).toEqual([id, 'ok']); // no cap applies: budgets need no store
      }
    }
    expect(stack.router.output()).toMatch(/unavailable/);

    stack.redis.start();
    await sleep(2_000); // the client reconnects (backoff) and replays deferred settlements
    const after = await phase('after');
    for (const [id, r] of after) expect([id, r.status]).toEqual([id, 'ok']);
    expect(stack.router.child.exitCode).toBeNull();
  });
});
