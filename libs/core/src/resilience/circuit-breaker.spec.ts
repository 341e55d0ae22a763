import fc from 'fast-check';
import type { ErrorKind } from '../errors/error-kind';
import { ERROR_KINDS } from '../errors/error-kind';
import type { OutcomeKind } from '../outcome/attempt-outcome';
import { CircuitBreaker, type BreakerState, type BreakerTransition } from './circuit-breaker';
import { DEFAULT_RESILIENCE } from './resilience-config';

const config = DEFAULT_RESILIENCE.breaker;
const outcome = (kind: OutcomeKind, retryAfterMs?: number) => ({
  kind,
  countsAgainstArm: kind === 'ok' || kind === 'cancelled' ? false : ERROR_KINDS[kind as ErrorKind].countsAgainstArm,
  retryAfterMs,
});

function failTimes(breaker: CircuitBreaker, n: number, at: number, kind: OutcomeKind = 'server_error'): BreakerTransition[] {
  const transitions: BreakerTransition[] = [];
  for (let i = 0; i < n; i++) {
    const t = breaker.record(outcome(kind), at);
    if (t) transitions.push(t);
  }
  return transitions;
}

describe('CircuitBreaker', () => {
  it('opens after 5 consecutive failures, for 5 s', () => {
    const breaker = new CircuitBreaker(config, 0);
    expect(failTimes(breaker, 4, 100)).toEqual([]);
    expect(failTimes(breaker, 1, 100)).toEqual([{ from: 'closed', to: 'open', reason: '5 consecutive failures; open for 5000 ms', at: 100 }]);
    expect(breaker.blockedReason(100)).toBe('circuit open until 1970-01-01T00:00:05.100Z');
  });

  it('opens at a 50% failure rate once 10 calls are in the window, not before', () => {
    const breaker = new CircuitBreaker(config, 0);
    for (let i = 0; i < 4; i++) {
      breaker.record(outcome('ok'), i);
      expect(breaker.record(outcome('server_error'), i)).toBeUndefined();
    }
    breaker.record(outcome('ok'), 5);
    const t = breaker.record(outcome('server_error'), 5);
    expect(t).toMatchObject({ to: 'open', reason: expect.stringMatching(/failure rate 50% of 10 calls/) });
  });

  it('forgets failures older than the 30 s window', () => {
    const breaker = new CircuitBreaker(config, 0);
    for (let i = 0; i < 4; i++) breaker.record(outcome('server_error'), 0);
    breaker.record(outcome('ok'), 0);
    for (let i = 0; i < 9; i++) breaker.record(outcome('ok'), 31_000);
    expect(breaker.record(outcome('server_error'), 31_000)).toBeUndefined();
    expect(breaker.snapshot(31_000)).toMatchObject({ calls: 10, failureRate: 0.1 });
  });

  it.each(['bad_request', 'auth', 'budget_exceeded', 'content_policy', 'context_overflow', 'deadline_exceeded', 'cancelled'] as const)('never counts %s against the arm', (kind) => {
    const breaker = new CircuitBreaker(config, 0);
    expect(failTimes(breaker, 50, 0, kind)).toEqual([]);
    expect(breaker.snapshot(0)).toMatchObject({ state: 'closed', calls: 0 });
  });

  it('cools down after a 429 until Retry-After without counting a failure', () => {
    const breaker = new CircuitBreaker(config, 0);
    for (let i = 0; i < 10; i++) expect(breaker.record(outcome('rate_limited', 3_000), 1_000)).toBeUndefined();
    expect(breaker.blockedReason(3_999)).toBe('cooling down after 429 until 1970-01-01T00:00:04.000Z');
    expect(breaker.blockedReason(4_000)).toBeUndefined();
    expect(breaker.snapshot(1_000)).toMatchObject({ state: 'closed', calls: 0, coolingDownUntil: 4_000 });
  });

  it('half-opens after the open time, lets one probe through, and closes after 2 successes', () => {
    const breaker = new CircuitBreaker(config, 0);
    failTimes(breaker, 5, 0);
    expect(breaker.observe(4_999)).toBeUndefined();
    expect(breaker.observe(5_000)).toMatchObject({ from: 'open', to: 'half_open', at: 5_000 });
    expect(breaker.blockedReason(5_000)).toBeUndefined();
    expect(breaker.acquire()).toBe(true);
    expect(breaker.blockedReason(5_000)).toBe('circuit half-open, probe in flight');
    expect(breaker.record(outcome('ok'), 5_100, true)).toBeUndefined();
    expect(breaker.acquire()).toBe(true);
    expect(breaker.record(outcome('ok'), 5_200, true)).toEqual({ from: 'half_open', to: 'closed', reason: '2 probe successes', at: 5_200 });
  });

  it('doubles the open time on each re-open, up to 60 s (so a recovered arm is probed within a minute), and resets it after closing', () => {
    const breaker = new CircuitBreaker(config, 0);
    let now = 0;
    failTimes(breaker, 5, now);
    const openTimes: number[] = [];
    for (let k = 0; k < 8; k++) {
      now = breaker.snapshot(now).openUntil!;
      breaker.observe(now);
      breaker.acquire();
      const t = breaker.record(outcome('server_error'), now, true)!;
      openTimes.push(breaker.snapshot(now).openUntil! - t.at);
    }
    expect(openTimes).toEqual([10_000, 20_000, 40_000, 60_000, 60_000, 60_000, 60_000, 60_000]);
    now = breaker.snapshot(now).openUntil!;
    breaker.observe(now);
    breaker.record(outcome('ok'), now, breaker.acquire());
    breaker.record(outcome('ok'), now, breaker.acquire());
    failTimes(breaker, 5, now);
    expect(breaker.snapshot(now).openUntil! - now).toBe(5_000);
  });

  describe('state machine (property)', () => {
    const LEGAL = new Set(['closed>open', 'open>half_open', 'half_open>open', 'half_open>closed']);
    const kinds: OutcomeKind[] = ['ok', 'server_error', 'timeout_read', 'network', 'rate_limited', 'bad_request', 'auth', 'budget_exceeded', 'cancelled'];
    const step = fc.oneof(
      fc.record({ advance: fc.integer({ min: 0, max: 20_000 }) }),
      fc.record({ kind: fc.constantFrom(...kinds), retryAfterMs: fc.option(fc.integer({ min: 0, max: 60_000 }), { nil: undefined }) }),
    );
    const cfg = fc.record({
      minimumCalls: fc.integer({ min: 1, max: 20 }),
      failureRateThreshold: fc.double({ min: 0.1, max: 1, noNaN: true }),
      consecutiveFailures: fc.integer({ min: 1, max: 10 }),
      halfOpenMaxProbes: fc.integer({ min: 1, max: 3 }),
      halfOpenSuccessesToClose: fc.integer({ min: 1, max: 4 }),
    });

    it('moves only along legal edges, never opens on outcomes that do not count, and bounds open time and probes', () => {
      fc.assert(
        fc.property(cfg, fc.array(step, { maxLength: 200 }), (overrides, steps) => {
          const c = { ...config, ...overrides };
          const breaker = new CircuitBreaker(c, 0);
          let now = 0;
          let state: BreakerState = 'closed';
          let probesOut = 0;
          const check = (t: BreakerTransition | undefined, cause?: OutcomeKind) => {
            if (!t) return;
            expect(LEGAL.has(`${t.from}>${t.to}`)).toBe(true);
            expect(t.from).toBe(state);
            if (t.to === 'open') {
              expect(['server_error', 'timeout_read', 'network']).toContain(cause);
              const openFor = breaker.snapshot(now).openUntil! - t.at;
              expect(openFor).toBeGreaterThanOrEqual(c.openBaseMs);
              expect(openFor).toBeLessThanOrEqual(c.openMaxMs);
            }
            if (t.to === 'closed') expect(cause).toBe('ok');
            if (t.to === 'half_open') probesOut = 0;
            state = t.to;
          };
          for (const s of steps) {
            if ('advance' in s) {
              now += s.advance;
              check(breaker.observe(now));
              continue;
            }
            check(breaker.observe(now));
            if (breaker.blockedReason(now) && !s.kind.startsWith('rate')) continue;
            const probe = breaker.acquire();
            if (probe) probesOut++;
            expect(probesOut).toBeLessThanOrEqual(c.halfOpenMaxProbes);
            check(breaker.record(outcome(s.kind, s.retryAfterMs), now, probe), s.kind);
            if (probe) probesOut--;
            expect(breaker.state).toBe(state);
          }
        }),
      );
    });
  });
});
