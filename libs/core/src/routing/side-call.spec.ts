import { BudgetGuard } from '../budget/budget-guard';
import { InMemoryBudgetStore } from '../budget/in-memory-budget-store';
import { settle } from '../resilience/spec-support';
import { ManualClock, ScriptedProviders, makeArm } from '../testing';
import type { RouteRequest } from './route-request';
import { sideCall } from './side-call';

const request: RouteRequest = { id: 'r1', tenant: 't1', class: 'chat', messages: [{ role: 'user', content: 'hi' }], params: {}, routing: { objective: 'balanced' } };
const arm = makeArm('helper', { timeouts: { connectMs: 1_000, totalMs: 5_000 } });
const ask = [{ role: 'user' as const, content: 'summarise' }];

describe('sideCall', () => {
  it('returns the text and what it cost; the budget holds the maximum cost during the call and the actual cost after', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const budget = new BudgetGuard({ store: new InMemoryBudgetStore(), clock, caps: { tenants: { t1: { day: 1 } } } });
    const providers = new ScriptedProviders(clock, { helper: [{ ok: true, text: 'done', usage: { inputTokens: 1_000, outputTokens: 10 } }] });
    const call = await sideCall({ clock, providers, budget }, { request }, arm, ask, 50);
    expect(call).toMatchObject({ arm: 'helper', text: 'done', costUsd: (1_000 + 20) / 1e6 });
    expect(budget.headroom('t1')[0].usedUsd).toBeCloseTo(call.costUsd, 12);
    expect(providers.calls).toEqual([expect.objectContaining({ requestId: 'r1', attempt: 0 })]);
  });

  it('makes no call when the budget refuses it', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const budget = new BudgetGuard({ store: new InMemoryBudgetStore(), clock, caps: { tenants: { t1: { day: 1e-9 } } } });
    const providers = new ScriptedProviders(clock, {});
    const call = await sideCall({ clock, providers, budget }, { request }, arm, ask, 50);
    expect(call).toMatchObject({ costUsd: 0, error: expect.stringMatching(/^budget:/) });
    expect(call.text).toBeUndefined();
    expect(providers.calls).toEqual([]);
  });

  it('is bounded by the request deadline, and by the arm timeout without one', async () => {
    const clock = new ManualClock(1_000);
    const providers = new ScriptedProviders(clock, { helper: [{ hang: true }] });
    const late = await settle(clock, sideCall({ clock, providers }, { request, deadlineAt: 1_500 }, arm, ask, 50));
    expect(late).toMatchObject({ latencyMs: 500, error: expect.stringMatching(/^deadline_exceeded/) });
    const slow = await settle(clock, sideCall({ clock, providers }, { request }, arm, ask, 50));
    expect(slow).toMatchObject({ latencyMs: 5_000, error: expect.stringMatching(/^timeout_read/) });
  });
});
