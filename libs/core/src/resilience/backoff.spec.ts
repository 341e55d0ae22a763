import fc from 'fast-check';
import type { AttemptOutcome } from '../outcome/attempt-outcome';
import type { Random } from '../ports/random';
import { backoffCeiling, fullJitterDelay } from './backoff';
import { DEFAULT_RESILIENCE } from './resilience-config';
import { RetryPolicy } from './retry-policy';

const fixed = (value: number): Random => ({ next: () => value });
const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const backoff = fc.record({
  baseMs: fc.integer({ min: 1, max: 10_000 }),
  factor: fc.double({ min: 1, max: 4, noNaN: true }),
  capMs: fc.integer({ min: 1, max: 600_000 }),
});

describe('full-jitter backoff', () => {
  it('stays in [0, min(cap, base × factor^n)) for any retry index and random draw', () => {
    fc.assert(
      fc.property(backoff, fc.integer({ min: 0, max: 200 }), unit, (config, n, r) => {
        const delay = fullJitterDelay(config, n, fixed(r));
        const ceiling = Math.min(config.capMs, config.baseMs * config.factor ** n);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(Math.max(0, Math.ceil(ceiling) - 1));
        expect(Number.isFinite(delay)).toBe(true);
      }),
    );
  });

  it('has a ceiling that never shrinks as retries go on and never exceeds the cap', () => {
    fc.assert(
      fc.property(backoff, fc.integer({ min: 0, max: 2_000 }), (config, n) => {
        expect(backoffCeiling(config, n + 1)).toBeGreaterThanOrEqual(backoffCeiling(config, n));
        expect(backoffCeiling(config, n)).toBeLessThanOrEqual(config.capMs);
      }),
    );
  });

  it('doubles the 5xx ceiling from 2 s by default', () => {
    const rule = DEFAULT_RESILIENCE.retry.perKind.server_error!.backoff;
    expect([0, 1, 2, 3, 4].map((n) => backoffCeiling(rule, n))).toEqual([2_000, 4_000, 8_000, 16_000, 30_000]);
  });
});

describe('RetryPolicy', () => {
  const failure = (kind: AttemptOutcome['kind'], extra: Partial<AttemptOutcome> = {}): AttemptOutcome => ({
    arm: 'a',
    attempt: 1,
    kind,
    retryable: true,
    countsAgainstArm: true,
    startedAt: 0,
    latencyMs: 10,
    costUsd: 0,
    usage: { inputTokens: 0, outputTokens: 0 },
    ...extra,
  });
  const policy = (r = 0.5) => new RetryPolicy(DEFAULT_RESILIENCE.retry, fixed(r));

  it('allows 5 attempts for a 429, 3 for a 5xx, 2 for a read timeout', () => {
    const allowed = (kind: AttemptOutcome['kind']) => [1, 2, 3, 4, 5, 6].filter((n) => policy().plan(failure(kind), n).retry).length + 1;
    expect(allowed('rate_limited')).toBe(5);
    expect(allowed('server_error')).toBe(3);
    expect(allowed('timeout_read')).toBe(2);
  });

  it.each(['bad_request', 'auth', 'timeout_connect', 'context_overflow', 'content_policy', 'budget_exceeded'] as const)('never retries %s on the same arm', (kind) => {
    expect(policy().plan(failure(kind), 1)).toMatchObject({ retry: false, reason: expect.stringMatching(kind) });
  });

  it('waits at least the Retry-After of a 429, whatever the jitter draw', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30_000 }), unit, fc.integer({ min: 1, max: 4 }), (retryAfterMs, r, n) => {
        const plan = policy(r).plan(failure('rate_limited', { retryAfterMs }), n);
        expect(plan.retry && plan.delayMs).toBeGreaterThanOrEqual(retryAfterMs);
      }),
    );
  });

  it('gives the arm up when Retry-After is above the cap', () => {
    expect(policy().plan(failure('rate_limited', { retryAfterMs: 60_000 }), 1)).toMatchObject({ retry: false, reason: expect.stringMatching(/above the 30000 ms cap/) });
  });

  it('draws the 5xx delay with full jitter from [0, 2 s) on the first retry', () => {
    expect(policy(0).plan(failure('server_error'), 1)).toMatchObject({ retry: true, delayMs: 0 });
    expect(policy(0.999).plan(failure('server_error'), 1)).toMatchObject({ retry: true, delayMs: 1_998 });
    expect(policy(0.5).plan(failure('server_error'), 2)).toMatchObject({ retry: true, delayMs: 2_000 });
  });
});
