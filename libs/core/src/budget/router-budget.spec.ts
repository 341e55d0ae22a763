import fc from 'fast-check';
import { Router } from '../router';
import { RouterEventBus, type RouterEvent } from '../events/router-events';
import type { ArmSelector } from '../routing/arm-selector';
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

describe('Router with budget caps: a cheaper arm before a refusal', () => {
  it('serves from a cheaper arm when the chosen arm\'s reservation no longer fits (another request took the headroom)', async () => {
    // Room for one pricey reservation (≈ $0.031) and then only cheap ones: both requests are decided
    // before either reservation is known locally, so both choose pricey.
    const { router, providers, events } = setup({ tenants: { acme: { hour: 0.04 } } });
    const [a, b] = await Promise.all([router.route(request('r1')), router.route(request('r2'))]);
    expect([a.servedBy?.arm, b.servedBy?.arm]).toEqual(['pricey', 'cheap']);
    expect(b.status).toBe('ok');
    expect(events.filter((e) => e.type === 'budget.refused').map((e) => e.type === 'budget.refused' && e.arm)).toEqual(['pricey']);
    // The refused reservation made no call.
    expect(providers.calls.map((c) => c.arm)).toEqual(['pricey', 'cheap']);
  });

  it('refuses only when even the cheapest arm\'s reservation does not fit', async () => {
    // Room for one pricey reservation and nothing after it.
    const { router, providers } = setup({ tenants: { acme: { hour: 0.032 } } });
    const [a, b] = await Promise.all([router.route(request('r1')), router.route(request('r2'))]);
    expect(a.status).toBe('ok');
    expect(b.error?.kind).toBe('budget_exceeded');
    expect(providers.calls).toHaveLength(1);
  });
});

/**
 * Scores arms as a net-value selector does: value·(1 for pricey, ½ for cheap) − (price of a
 * dollar)·maximum cost, best first; the value is the request's `routing.valueUsd`.
 */
function pricedSelector(budget: BudgetGuard): ArmSelector {
  return {
    name: 'priced',
    select(ctx, eligible) {
      const weight = budget.costWeight(ctx.request.tenant);
      const value = ctx.request.routing.valueUsd ?? 0;
      const candidates = eligible.map((arm) => {
        const expectedCostUsd = budget.maxCostUsd(arm, ctx.request);
        return { arm: arm.id, expectedCostUsd, utility: value * (arm.id === 'pricey' ? 1 : 0.5) - weight * expectedCostUsd };
      });
      const best = candidates.reduce((b, c, i) => (c.utility > candidates[b].utility ? i : b), 0);
      return { chosen: eligible[best], candidates, reason: 'highest utility', exploration: false };
    },
  };
}

describe('Router with budget caps: priced out', () => {
  // Each call costs about what it reserves (1,000 output tokens): pricey ≈ $0.031, cheap ≈ $0.002.
  function priced() {
    const clock = new ManualClock(START);
    const budget = new BudgetGuard({ store: new InMemoryBudgetStore(), clock, caps: { tenants: { acme: { hour: 0.5 } } } });
    const ok = { ok: true as const, latencyMs: 0, usage: { inputTokens: 10, outputTokens: 1_000 } };
    const providers = new ScriptedProviders(clock, { pricey: [ok], cheap: [ok] });
    const router = new Router({ arms: [pricey, cheap], providers, selector: pricedSelector(budget), clock, budget });
    const route = (id: string, valueUsd: number) => router.route({ ...request(id), routing: { objective: 'balanced', valueUsd } });
    return { clock, budget, router, providers, route };
  }

  it('refuses requests no arm is worth at the price of a dollar when even the cheapest arms would spend the cap within minutes', async () => {
    const s = priced();
    // A request a second: $0.002/s on the cheapest arm, $7.2 an hour against a $0.50 cap. Served
    // (cheap) until the cheapest arm would spend what is left within 3 minutes, priced out after.
    const results = [];
    for (let i = 0; i < 240; i++) {
      results.push(await s.route(`r${i}`, 0.01));
      await s.clock.advance(1_000);
    }
    const refused = results.filter((r) => r.status === 'failed');
    expect(refused.length).toBeGreaterThan(60);
    expect(results[0].status).toBe('ok');
    for (const r of refused) expect(r.error).toEqual(expect.objectContaining({ kind: 'budget_exceeded', message: expect.stringMatching(/priced out.*would be spent within minutes even with every request on its cheapest arm/) }));
    // Serving them all would have spent $0.48 of the $0.50 in these 4 minutes; pricing out keeps the
    // rest of the cap for the rest of the hour.
    expect(s.budget.headroom('acme')[0].remainingUsd).toBeGreaterThan(0.15);
    expect(s.providers.calls.length).toBe(results.length - refused.length);
  });

  it('serves a request worth its cost at that price, from the arm best at that price', async () => {
    const s = priced();
    // A request every 30 s: the cheapest arm would spend $0.24 an hour, pricey $3.7, against $0.50.
    const results = [];
    for (let i = 0; i < 60; i++) {
      results.push(await s.route(`r${i}`, 1));
      await s.clock.advance(30_000);
    }
    expect(results.every((r) => r.status === 'ok')).toBe(true);
    // Pricey while the price is low, cheap once the price of a dollar makes pricey's extra value not worth its cost.
    expect(results[0].servedBy?.arm).toBe('pricey');
    expect(results.at(-1)?.servedBy?.arm).toBe('cheap');
  });

  it('refuses nothing while the cheapest arms would not spend the cap soon, even when no arm is worth the price', async () => {
    const s = priced();
    // A valuable request and a cheap one a minute: the valuable one on pricey runs far ahead of the
    // plan and raises the price; the cheapest arms alone would spend ≈ $0.24 an hour of $0.50.
    const low = [];
    for (let m = 0; m < 6; m++) {
      await s.route(`v${m}`, 1);
      low.push(await s.route(`l${m}`, 0.01));
      await s.clock.advance(60_000);
    }
    // At this price the cheap request is worth less than its cheapest arm costs…
    expect(0.005 - s.budget.costWeight('acme') * budgetCheapMax()).toBeLessThan(0);
    // …and it is served there all the same.
    const last = await s.route('l-last', 0.01);
    expect(last.status).toBe('ok');
    expect(last.servedBy?.arm).toBe('cheap');
    expect(low.every((r) => r.status === 'ok')).toBe(true);
  });

  it('never prices out at a price of 1 (no cap running ahead), whatever the value', async () => {
    const s = priced();
    expect(s.budget.costWeight('acme')).toBe(1);
    expect((await s.route('r1', 0)).status).toBe('ok');
  });
});

/** The cheap arm's maximum cost for a request (≈ $0.002). */
function budgetCheapMax(): number {
  return new BudgetGuard({ store: new InMemoryBudgetStore(), clock: new ManualClock(START), caps: {} }).maxCostUsd(cheap, request('z'));
}

describe('failure kind when the request itself narrows the arms', () => {
  it('reports budget_exceeded, not no_eligible_arm, when the one allowed arm no longer fits the cap', async () => {
    const { router } = setup({ tenants: { acme: { day: 0.01 } } });
    const result = await router.route({ ...request('r1'), routing: { objective: 'balanced', models: ['pricey'] } });
    expect(result.error?.kind).toBe('budget_exceeded');
  });
});
