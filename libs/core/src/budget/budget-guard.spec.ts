import fc from 'fast-check';
import { checkEligibility, DEFAULT_RULES } from '../routing/eligibility';
import type { RouteRequest } from '../routing/route-request';
import { makeArm } from '../testing/fake-provider';
import { ManualClock } from '../testing/manual-clock';
import { BudgetGuard, budgetExceededOutcome, excludedByBudget, type BudgetCaps } from './budget-guard';
import { windowId } from './budget-window';
import { InMemoryBudgetStore } from './in-memory-budget-store';
import { pacingWeight } from './pacer';

// $1/1M input, $2/1M output; 1000 output tokens max → $0.002 + prompt.
const arm = makeArm('a', { maxOutputTokens: 1_000 });
const pricey = makeArm('pricey', { pricing: { inputPer1M: 10, outputPer1M: 30 }, maxOutputTokens: 1_000 });
const START = Date.UTC(2025, 2, 1, 14, 30);

function request(tenant = 'acme', maxTokens = 1_000): RouteRequest {
  return { id: 'r', tenant, class: 'chat', messages: [{ role: 'user', content: 'x'.repeat(396) }], params: { maxTokens }, routing: { objective: 'balanced' } };
}

function setup(caps: BudgetCaps) {
  const clock = new ManualClock(START);
  const store = new InMemoryBudgetStore();
  const guard = new BudgetGuard({ store, clock, caps });
  return { clock, store, guard };
}

describe('windowId', () => {
  it('names UTC minute, hour, day and month windows', () => {
    const t = Date.UTC(2025, 11, 31, 23, 59, 30);
    expect(windowId('minute', t)).toBe('minute:2025-12-31T23:59');
    expect(windowId('hour', t)).toBe('hour:2025-12-31T23');
    expect(windowId('day', t)).toBe('day:2025-12-31');
    expect(windowId('month', t)).toBe('month:2025-12');
  });
});

describe('pacingWeight', () => {
  it('is 1 + 4·(spent/cap)^4, monotone, from 1 to 5', () => {
    expect(pacingWeight(0, 10)).toBe(1);
    expect(pacingWeight(5, 10)).toBeCloseTo(1.25, 10);
    expect(pacingWeight(10, 10)).toBe(5);
    expect(pacingWeight(20, 10)).toBe(5);
    fc.assert(fc.property(fc.double({ min: 0, max: 100, noNaN: true }), fc.double({ min: 0, max: 100, noNaN: true }), (x, d) => pacingWeight(x, 50) <= pacingWeight(x + d, 50)));
  });
});

describe('BudgetGuard', () => {
  it('reserves the maximum possible cost: prompt estimate plus maxTokens at the output price', () => {
    const { guard } = setup({});
    // 396 chars → 99 + 4 + 3 = 106 prompt tokens; 1000 output tokens.
    expect(guard.maxCostUsd(arm, request())).toBeCloseTo((106 * 1 + 1_000 * 2) / 1e6, 12);
    expect(guard.maxCostUsd(arm, request('acme', 10))).toBeCloseTo((106 + 20) / 1e6, 12);
  });

  it('reserves across tenant and global caps, settles to the actual cost, releases on failure', async () => {
    const { guard, store } = setup({ defaultTenant: { hour: 1 }, global: { month: 100 } });
    const r = await guard.reserve(request(), arm);
    if (!r.ok) throw new Error(r.reason);
    const lines = [
      { key: 'tenant:acme', windowId: 'hour:2025-03-01T14', capUsd: 1 },
      { key: 'global', windowId: 'month:2025-03', capUsd: 100 },
    ];
    expect((await store.usage(lines)).map((l) => l.usedUsd)).toEqual([r.amountUsd, r.amountUsd]);
    await guard.settle(r, 0.0005);
    expect((await store.usage(lines)).map((l) => l.usedUsd)).toEqual([0.0005, 0.0005]);
    const again = await guard.reserve(request(), arm);
    if (!again.ok) throw new Error(again.reason);
    await guard.release(again);
    expect((await store.usage(lines)).map((l) => l.usedUsd)).toEqual([0.0005, 0.0005]);
  });

  it('refuses a reservation that does not fit, saying which cap and how much is left', async () => {
    const { guard } = setup({ tenants: { acme: { hour: 0.003 } } });
    expect((await guard.reserve(request(), arm)).ok).toBe(true);
    const refused = await guard.reserve(request(), arm);
    expect(refused).toEqual({ ok: false, reason: expect.stringMatching(/^budget: \$0\.0009 left of \$0\.0030 \(tenant acme, hour\); this call may cost up to \$0\.0021$/) });
  });

  it('needs no store call when no cap applies', async () => {
    const { guard } = setup({ tenants: { other: { day: 1 } } });
    const r = await guard.reserve(request(), arm);
    expect(r.ok).toBe(true);
    expect(r.ok && r.reservationId).toBeUndefined();
  });

  it('excludes arms whose maximum cost exceeds what is left, and leaves cheaper arms eligible', async () => {
    const { guard } = setup({ defaultTenant: { day: 0.05 } });
    const r = await guard.reserve(request(), pricey);
    if (!r.ok) throw new Error(r.reason);
    await guard.settle(r, 0.02);
    const rules = [...DEFAULT_RULES, guard.eligibilityRule()];
    const ctx = { request: request(), promptTokens: 106, tried: new Set<string>(), now: START };
    const { eligible, excluded } = checkEligibility([arm, pricey], ctx, rules);
    expect(eligible.map((a) => a.id)).toEqual(['a']);
    expect(excluded).toEqual([{ arm: 'pricey', reason: 'budget: $0.0300 left of $0.0500 (tenant acme, day)' }]);
    expect(excludedByBudget(excluded)).toBe(true);
  });

  it('starts a fresh budget when the UTC window rolls over', async () => {
    const { guard, clock } = setup({ defaultTenant: { hour: 0.003 } });
    expect((await guard.reserve(request(), arm)).ok).toBe(true);
    expect((await guard.reserve(request(), arm)).ok).toBe(false);
    await clock.advance(30 * 60_000);
    expect((await guard.reserve(request(), arm)).ok).toBe(true);
  });

  it('prices a dollar above 1 while spend runs ahead of the plan, per tenant, as 1 + the sum of its caps\' λ', async () => {
    const { guard, clock } = setup({ defaultTenant: { hour: 0.01 }, global: { hour: 0.012 } });
    expect(guard.costWeight('acme')).toBe(1);
    // Half past two with half an hour left: 80% of both caps spent in the next 10 s is far ahead of plan.
    const r = await guard.reserve(request(), arm);
    if (!r.ok) throw new Error(r.reason);
    await guard.settle(r, 0.008);
    await clock.advance(10_000);
    const weight = guard.costWeight('acme');
    const [tenantLine, globalLine] = guard.headroom('acme');
    expect(tenantLine.costWeight).toBeGreaterThan(1);
    expect(globalLine.costWeight).toBeGreaterThan(1);
    expect(weight).toBeCloseTo(tenantLine.costWeight + globalLine.costWeight - 1, 10);
    // Another tenant shares only the global cap's price.
    expect(guard.costWeight('someone-else')).toBeCloseTo(globalLine.costWeight, 6);
  });

  it('with windowPacing off, raises the cost weight only as spend nears the cap', async () => {
    const clock = new ManualClock(START);
    const guard = new BudgetGuard({ store: new InMemoryBudgetStore(), clock, caps: { defaultTenant: { day: 0.01 }, global: { day: 1_000 } }, windowPacing: false });
    expect(guard.costWeight('acme')).toBe(1);
    const r = await guard.reserve(request(), arm);
    if (!r.ok) throw new Error(r.reason);
    await guard.settle(r, 0.008);
    expect(guard.costWeight('acme')).toBeCloseTo(1 + 4 * 0.8 ** 4, 10);
    expect(guard.costWeight('someone-else')).toBeCloseTo(1, 6);
  });

  it('reports headroom per cap and refreshes it from the store (spend by other replicas)', async () => {
    const { guard, store } = setup({ defaultTenant: { hour: 1 }, global: { month: 10 } });
    await store.reserve(0.4, [{ key: 'tenant:acme', windowId: 'hour:2025-03-01T14', capUsd: 1 }]);
    expect(guard.headroom('acme')[0].remainingUsd).toBe(1);
    await guard.refresh(['acme']);
    expect(guard.headroom('acme')).toEqual([
      expect.objectContaining({ scope: 'tenant acme', window: 'hour', usedUsd: 0.4, remainingUsd: 0.6 }),
      expect.objectContaining({ scope: 'global', window: 'month', usedUsd: 0, remainingUsd: 10 }),
    ]);
  });

  it('never lets 200 concurrent requests overspend the tenant cap', async () => {
    await fc.assert(
      fc.asyncProperty(fc.double({ min: 0.001, max: 0.2, noNaN: true }), fc.array(fc.integer({ min: 1, max: 1_000 }), { minLength: 200, maxLength: 200 }), async (cap, maxTokens) => {
        const { guard, store } = setup({ defaultTenant: { hour: cap } });
        await Promise.all(
          maxTokens.map(async (m) => {
            const r = await guard.reserve(request('acme', m), arm);
            if (r.ok) await guard.settle(r, r.amountUsd * 0.9);
          }),
        );
        const [line] = await store.usage([{ key: 'tenant:acme', windowId: 'hour:2025-03-01T14', capUsd: cap }]);
        expect(line.usedUsd).toBeLessThanOrEqual(cap + 1e-12);
      }),
      { numRuns: 50 },
    );
  });

  it('builds a budget_exceeded outcome that does not count against the arm', () => {
    expect(budgetExceededOutcome(arm, 2, START, 'budget: …')).toMatchObject({ arm: 'a', attempt: 2, kind: 'budget_exceeded', countsAgainstArm: false, retryable: false, costUsd: 0 });
  });
});
