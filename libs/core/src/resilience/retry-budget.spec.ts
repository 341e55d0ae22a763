import { ManualClock } from '../testing/manual-clock';
import { RetryBudget } from './retry-budget';

describe('RetryBudget', () => {
  const config = { ratio: 0.2, minRetriesPerSecond: 2, bucketMs: 10_000, windowMs: 60_000 };

  function spend(budget: RetryBudget, arm: string): number {
    let n = 0;
    while (budget.canRetry(arm) && n < 1_000) {
      budget.recordRetry(arm);
      n++;
    }
    return n;
  }

  it('allows the per-second floor with no traffic at all, then no more in that second', () => {
    const budget = new RetryBudget(new ManualClock(), config);
    expect(spend(budget, 'a')).toBe(2);
    expect(budget.canRetry('a')).toBe(false);
  });

  it('gives the floor again every second, so a single request after a burst can still retry', async () => {
    const clock = new ManualClock();
    const budget = new RetryBudget(clock, config);
    expect(spend(budget, 'a')).toBe(2);
    await clock.advance(1_000);
    expect(budget.canRetry('a')).toBe(true);
    await clock.advance(1_000);
    expect(spend(budget, 'a')).toBe(2);
  });

  it('adds 20% of the first attempts in the window on top of the floor', () => {
    const budget = new RetryBudget(new ManualClock(), config);
    for (let i = 0; i < 50; i++) budget.recordFirstAttempt('a');
    expect(spend(budget, 'a')).toBe(2 + 10);
  });

  it('keeps the ratio share spent for the whole window while the floor comes back each second', async () => {
    const clock = new ManualClock();
    const budget = new RetryBudget(clock, config);
    for (let i = 0; i < 50; i++) budget.recordFirstAttempt('a');
    expect(spend(budget, 'a')).toBe(12);
    await clock.advance(1_000);
    expect(spend(budget, 'a')).toBe(2);
    await clock.advance(60_000);
    // The first attempts slid out too: only the floor is left.
    expect(spend(budget, 'a')).toBe(2);
  });

  it('caps retries overall as well as per arm', () => {
    const budget = new RetryBudget(new ManualClock(), config);
    budget.recordRetry('a');
    budget.recordRetry('b');
    expect(budget.canRetry('c')).toBe(false);
    expect(budget.headroom('c')).toBe(0);
  });

  it('with a zero floor and ratio never allows a retry', () => {
    const budget = new RetryBudget(new ManualClock(), { ...config, ratio: 0, minRetriesPerSecond: 0 });
    for (let i = 0; i < 50; i++) budget.recordFirstAttempt('a');
    expect(budget.canRetry('a')).toBe(false);
  });
});
