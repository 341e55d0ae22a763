import { cooldownVerdict, type CooldownContext } from './cooldown-rule';

describe('cooldownVerdict: the 429 cooldown rule', () => {
  const cooling = (arm: string) => ({ arm, reason: 'cooling down after 429 until …' });
  const ctx = (over: Partial<CooldownContext> = {}): CooldownContext => ({
    now: 10_000,
    deadlineAt: 40_000,
    capMs: 30_000,
    coolingDownUntil: (arm) => ({ a: 15_000, b: 12_000 })[arm],
    canRetry: () => true,
    ...over,
  });

  it('waits for the earliest cooldown among the excluded arms', () => {
    expect(cooldownVerdict([cooling('a'), cooling('b'), { arm: 'c', reason: 'circuit open until …' }], ctx())).toEqual({ wait: true, arm: 'b', untilMs: 12_000 });
  });

  it('says nothing when no excluded arm cools down (an open breaker is another failure)', () => {
    expect(cooldownVerdict([{ arm: 'c', reason: 'circuit open until …' }], ctx())).toBeUndefined();
  });

  it.each([
    ['past the deadline', { deadlineAt: 12_000 }, /past the request deadline/],
    ['above the Retry-After cap', { capMs: 1_000 }, /above the 1000 ms Retry-After cap/],
    ['without retry budget', { canRetry: () => false }, /retry budget spent/],
  ])('refuses to wait %s, with the wait left', (_name, over, why) => {
    expect(cooldownVerdict([cooling('b')], ctx(over))).toEqual({ wait: false, arm: 'b', waitMs: 2_000, why: expect.stringMatching(why) });
  });
});
