import fc from 'fast-check';
import { Router } from '../router';
import { RouterEventBus, type RouterEvent } from '../events/router-events';
import { OrderedSelector } from '../routing/ordered-selector';
import type { RouteRequest } from '../routing/route-request';
import { ManualClock, ScriptedProviders, makeArm } from '../testing';
import { BudgetGuard, type BudgetCaps } from './budget-guard';
import { InMemoryBudgetStore } from './in-memory-budget-store';

const START = Date.UTC(2026, 10, 22, 9, 0);
// $10/$30 per 1M tokens vs $1/$2: with maxTokens 1000 the pricey arm may cost ~$0.031, the cheap one ~$0.002.
const pricey = makeArm('pricey', { pricing: { inputPer1M: 10, outputPer1M: 30 }, maxOutputTokens: 1_000 });
const cheap = makeArm('cheap', { maxOutputTokens: 1_000 });

function request(id: string, tenant = 'acme'): RouteRequest {
  return { id, tenant, class: 'chat', messages: [{ role: 'user', content: 'hello there' }], params: { maxTokens: 1_000 }, routing: { objective: 'balanced' } };
}

function setup(caps: BudgetCaps, latencyMs = 0) {
  const clock = new ManualClock(START);
  const store = new InMemoryBudgetStore();
  const budget = new BudgetGuard({ store, clock, caps });
  const ok = { ok: true as const, latencyMs, usage: { inputTokens: 10, outputTokens: 100 } };
  const providers = new ScriptedProviders(clock, { pricey: [ok], cheap: [ok] });
  const events: RouterEvent[] = [];
  const bus = new RouterEventBus();
  bus.subscribe((e) => events.push(e));
  const router = new Router({ arms: [pricey, cheap], providers, selector: new OrderedSelector(), clock, events: bus, budget });
  return { clock, store, budget, providers, router, events };
}

describe('Router with budget caps', () => {
  it('skips an arm whose maximum cost no longer fits and serves from a cheaper one', async () => {
    const { router, events } = setup({ tenants: { acme: { hour: 0.01 } } });
    const result = await router.route(request('r1'));
    expect(result.servedBy?.arm).toBe('cheap');
    const decision = events.find((e) => e.type === 'decision');
    expect(decision?.type === 'decision' && decision.decision.excluded).toEqual([{ arm: 'pricey', reason: expect.stringMatching(/^budget: \$0\.0100 left of \$0\.0100 \(tenant acme, hour\)/) }]);
  });

  it('settles to the actual cost, not the reservation, so headroom comes back', async () => {
    const { router, budget } = setup({ tenants: { acme: { hour: 1 } } });
    const result = await router.route(request('r1'));
    const [line] = budget.headroom('acme');
    expect(line.usedUsd).toBeCloseTo(result.usage.costUsd, 12);
    expect(result.usage.costUsd).toBeLessThan(budget.maxCostUsd(pricey, request('x')));
  });

  it('answers budget_exceeded, naming the cap, when no arm fits what is left', async () => {
    const { router, providers } = setup({ tenants: { acme: { day: 0.001 } } });
    const result = await router.route(request('r1'));
    expect(result.status).toBe('failed');
    expect(result.error?.kind).toBe('budget_exceeded');
    expect(result.error?.message).toMatch(/budget: \$0\.0010 left of \$0\.0010 \(tenant acme, day\)/);
    expect(providers.calls).toHaveLength(0);
  });

  it('keeps tenants apart: one tenant spending its cap does not touch another', async () => {
    const { router } = setup({ defaultTenant: { hour: 0.003 } });
    expect((await router.route(request('a1', 'a'))).status).toBe('ok');
    expect((await router.route(request('b1', 'b'))).status).toBe('ok');
  });

  it('never overspends a cap under concurrent requests (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 20, max: 200 }), fc.double({ min: 0.002, max: 0.05, noNaN: true }), async (concurrent, cap) => {
        const { router, clock, store } = setup({ tenants: { acme: { hour: cap } } }, 100);
        let done = false;
        const pending = Promise.all(Array.from({ length: concurrent }, (_, i) => router.route(request(`r${i}`)))).finally(() => (done = true));
        // Reservations resolve over a few microtask turns, so let virtual time move in small steps.
        for (let t = 0; !done && t < 2_000; t += 10) await clock.advance(10);
        const results = await pending;
        const spent = results.reduce((sum, r) => sum + r.usage.costUsd, 0);
        const [usage] = await store.usage([{ key: 'tenant:acme', windowId: 'hour:2026-11-22T09', capUsd: cap }]);
        expect(spent).toBeLessThanOrEqual(cap + 1e-12);
        expect(usage.usedUsd).toBeCloseTo(spent, 12);
        // Everything not served was refused as budget_exceeded, never left hanging.
        for (const r of results) if (r.status === 'failed') expect(r.error?.kind).toBe('budget_exceeded');
      }),
      { numRuns: 25 },
    );
  });
});

describe('failure kind when the request itself narrows the arms', () => {
  it('reports budget_exceeded, not no_eligible_arm, when the one allowed arm no longer fits the cap', async () => {
    const { router } = setup({ tenants: { acme: { day: 0.01 } } });
    const result = await router.route({ ...request('r1'), routing: { objective: 'balanced', models: ['pricey'] } });
    expect(result.error?.kind).toBe('budget_exceeded');
  });
});
