import { ManualClock } from '../testing/manual-clock';
import { RetryBudget } from './retry-budget';

describe('RetryBudget', () => {
  const config = { ratio: 0.2, minRetries: 2, bucketMs: 10_000, windowMs: 60_000 };

  it('always allows the minimum number of retries, then no more', () => {
    const budget = new RetryBudget(new ManualClock(), config);
    expect(budget.canRetry('a')).toBe(true);
    budget.recordRetry('a');
    budget.recordRetry('a');
    expect(budget.canRetry('a')).toBe(false);
  });

  it('allows retries up to 20% of first attempts in the window', () => {
    const budget = new RetryBudget(new ManualClock(), config);
    for (let i = 0; i < 50; i++) budget.recordFirstAttempt('a');
    for (let i = 0; i < 10; i++) {
      expect(budget.canRetry('a')).toBe(true);
      budget.recordRetry('a');
    }
    expect(budget.canRetry('a')).toBe(false);
  });

  it('caps retries overall as well as per arm', () => {
    const budget = new RetryBudget(new ManualClock(), config);
    budget.recordRetry('a');
    budget.recordRetry('b');
    expect(budget.canRetry('c')).toBe(false);
    expect(budget.headroom('c')).toBe(0);
  });

  it('forgets retries once they slide out of the window', async () => {
    const clock = new ManualClock();
    const budget = new RetryBudget(clock, config);
    budget.recordRetry('a');
    budget.recordRetry('a');
    await clock.advance(50_000);
    expect(budget.canRetry('a')).toBe(false);
    await clock.advance(10_000);
    expect(budget.canRetry('a')).toBe(true);
  });
});
