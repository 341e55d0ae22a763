import { traitsOf, type ErrorKind } from '../errors/error-kind';
import type { AttemptOutcome, OutcomeSink } from '../outcome/attempt-outcome';
import { SeededRandom } from '../ports/random';
import { BreakerRegistry } from '../resilience/breaker-registry';
import { request, settle } from '../resilience/spec-support';
import { Router } from '../router';
import { OrderedSelector } from '../routing/ordered-selector';
import { ManualClock } from '../testing/manual-clock';
import { ScriptedProviders, makeArm } from '../testing/fake-provider';
import { ThompsonSelector } from './thompson-selector';

function outcome(arm: string, kind: 'ok' | ErrorKind, latencyMs = 400): AttemptOutcome {
  const traits = kind === 'ok' ? { retryable: false, countsAgainstArm: false } : traitsOf(kind);
  return { arm, attempt: 1, kind, ...traits, startedAt: 0, latencyMs, costUsd: 0, usage: kind === 'ok' ? { inputTokens: 100, outputTokens: 80 } : { inputTokens: 0, outputTokens: 0 } };
}

const a = makeArm('a');
const b = makeArm('b');
const successMean = (selector: ThompsonSelector, arm: string) => selector.snapshot().find((s) => s.arm === arm)!.successMean;

describe('recovery after an outage', () => {
  it('gives a recovered arm its normal regime back when its breaker closes, instead of the outage failures', () => {
    const clock = new ManualClock(0);
    const selector = new ThompsonSelector({ clock, random: new SeededRandom(1), arms: [a, b] });
    for (let i = 0; i < 300; i++) selector.record(outcome('a', 'ok'), 'chat');
    const before = successMean(selector, 'a');
    // The outage: failures until the drop detector replaces the evidence with them.
    for (let i = 0; i < 8; i++) selector.record(outcome('a', 'server_error'), 'chat');
    const during = successMean(selector, 'a');
    expect(during).toBeLessThan(0.3);
    void clock.advance(60_000);
    // Two probe successes close the breaker: the router tells the policy.
    selector.record(outcome('a', 'ok'), 'chat');
    selector.record(outcome('a', 'ok'), 'chat');
    selector.armRecovered('a');
    const after = successMean(selector, 'a');
    expect(after).toBeGreaterThan(0.98);
    expect(after).toBeLessThanOrEqual(before + 1e-9);
    // A second recovery signal without a new drop changes nothing.
    selector.armRecovered('a');
    expect(successMean(selector, 'a')).toBe(after);
  });

  it('gets the regime back from its own up-shift detection too (outcomes from other replicas, no breaker close here)', () => {
    const clock = new ManualClock(0);
    const selector = new ThompsonSelector({ clock, random: new SeededRandom(1), arms: [a, b] });
    for (let i = 0; i < 300; i++) selector.record(outcome('a', 'ok'), 'chat');
    for (let i = 0; i < 8; i++) selector.record(outcome('a', 'server_error'), 'chat');
    for (let i = 0; i < 6; i++) selector.record(outcome('a', 'ok'), 'chat');
    expect(successMean(selector, 'a')).toBeGreaterThan(0.98);
  });

  it('sends the probe to a half-open arm at once, whatever its posterior says, and says why', () => {
    const clock = new ManualClock(0);
    let halfOpen = false;
    const selector = new ThompsonSelector({ clock, random: new SeededRandom(1), arms: [a, b], halfOpen: (arm) => arm === 'a' && halfOpen });
    for (let i = 0; i < 50; i++) selector.record(outcome('a', 'server_error'), 'chat');
    for (let i = 0; i < 300; i++) selector.record(outcome('b', 'ok'), 'chat');
    const ctx = { request: request({ class: 'chat' }), tried: [], clock };
    expect(selector.select(ctx, [a, b]).chosen.id).toBe('b');
    halfOpen = true;
    const probe = selector.select(ctx, [a, b]);
    expect(probe.chosen.id).toBe('a');
    expect(probe.reason).toMatch(/^half-open probe/);
    expect(probe.exploration).toBe(true);
  });

  it('counts half-open probes against the exploration floor: probes and floor draws together stay at the rate', () => {
    const clock = new ManualClock(0);
    let probing = 0;
    const selector = new ThompsonSelector({ clock, random: new SeededRandom(5), arms: [a, b], explorationRate: 0.5, halfOpen: (arm) => arm === 'a' && probing-- > 0 });
    const ctx = { request: request({ class: 'chat' }), tried: [], clock };
    let flagged = 0;
    for (let i = 0; i < 4_000; i++) {
      // 400 decisions find a half-open: without the credit, ≈ 200 of them would be on top of the floor's 2,000.
      if (i % 10 === 0) probing = 1;
      const d = selector.select(ctx, [a, b]);
      if (d.probe || /^exploration floor/.test(d.reason)) flagged++;
    }
    expect(Math.abs(flagged - 2_000)).toBeLessThan(80);
  });

  it('the router tells its outcome sinks when a breaker closes after probes', async () => {
    const clock = new ManualClock(0);
    const providers = new ScriptedProviders(clock, { a: [...Array.from({ length: 5 }, () => ({ ok: false as const, kind: 'server_error' as const })), { ok: true }] });
    const recovered: string[] = [];
    const sink: OutcomeSink = { record: () => undefined, armRecovered: (arm) => recovered.push(arm) };
    const breakers = new BreakerRegistry({ clock });
    const router = new Router({ arms: [a], providers, selector: new OrderedSelector(), clock, breakers, outcomeSinks: [sink], random: new SeededRandom(3), resilience: { retry: { perKind: { server_error: { maxAttempts: 1, backoff: { baseMs: 1, factor: 1, capMs: 1 } } } } } });
    for (let i = 0; i < 5; i++) await settle(clock, router.route(request({ id: `f${i}` })));
    expect(breakers.stateOf('a').state).toBe('open');
    await clock.advance(5_000);
    expect(breakers.halfOpen('a')).toBe(true);
    await settle(clock, router.route(request({ id: 'p1' })));
    expect(recovered).toEqual([]);
    await settle(clock, router.route(request({ id: 'p2' })));
    expect(recovered).toEqual(['a']);
  });
});
