import type { BudgetGuard } from '../budget/budget-guard';
import { BreakerRegistry } from '../resilience/breaker-registry';
import { CredentialHealth } from '../resilience/credential-health';
import { ArmRateLimiter } from '../resilience/rate-limiter';
import { resolveResilience } from '../resilience/resilience-config';
import { RetryBudget } from '../resilience/retry-budget';
import { makeArm } from '../testing/fake-provider';
import { ManualClock } from '../testing/manual-clock';
import { AttemptAccounting } from './attempt-accounting';
import type { RouteRequest } from './route-request';

const arm = makeArm('a');
const request = { id: 'r', tenant: 't', class: 'chat', messages: [], params: {}, routing: { objective: 'balanced' } } as RouteRequest;

function accounting(budget?: BudgetGuard) {
  const clock = new ManualClock(0);
  const config = resolveResilience();
  return new AttemptAccounting({
    credentials: new CredentialHealth({ clock }),
    retryBudget: new RetryBudget(clock, config.retryBudget),
    rateLimits: new ArmRateLimiter(clock, [arm]),
    breakers: new BreakerRegistry({ clock, config: config.breaker }),
    budget,
    outcomeSinks: [],
  });
}

// The routing loop's microtask order is part of its behaviour (virtual-clock tests, bench:policy):
// the accounting must hand back the budget store's own promises, never a wrapper that adds turns.
describe('AttemptAccounting', () => {
  it('has nothing to await without a budget', () => {
    expect(accounting().reserve(request, arm, 10)).toBeUndefined();
  });

  it('hands back the budget guard’s own promises for reserve, settle and release', () => {
    const reserved = Promise.resolve({ ok: true as const, amountUsd: 1, tenant: 't' });
    const settled = Promise.resolve();
    const released = Promise.resolve();
    const budget = { reserve: () => reserved, settle: () => settled, release: () => released } as unknown as BudgetGuard;
    const books = accounting(budget);
    expect(books.reserve(request, arm, 10)).toBe(reserved);
    const reservation = { ok: true as const, amountUsd: 1, tenant: 't' };
    expect(books.settleBudget(reservation, 0.5)).toBe(settled);
    // A call that cost nothing releases its reservation instead.
    expect(books.settleBudget(reservation, 0)).toBe(released);
  });
});
