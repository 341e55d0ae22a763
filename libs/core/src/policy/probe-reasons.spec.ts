import { traitsOf, type ErrorKind } from '../errors/error-kind';
import type { AttemptOutcome } from '../outcome/attempt-outcome';
import { SeededRandom } from '../ports/random';
import type { RouteRequest } from '../routing/route-request';
import { makeArm } from '../testing/fake-provider';
import { ManualClock } from '../testing/manual-clock';
import { BreakerRegistry } from '../resilience/breaker-registry';
import { settle } from '../resilience/spec-support';
import { Router } from '../router';
import { RouterEventBus, type RouterEvent } from '../events/router-events';
import { ScriptedProviders } from '../testing/fake-provider';
import { ThompsonSelector, type ThompsonOptions } from './thompson-selector';

// The three half-open probe cases a decision trace must explain on its own: the probed arm, why it
// is probed, and the best-scoring arm by name; `exploration` only when the chosen arm is not the
// best score, `probe` whenever a half-open breaker took the decision.
const recovering = makeArm('recovering');
const steady = makeArm('steady');
const spare = makeArm('spare');

const request: RouteRequest = { id: 'r', tenant: 't1', class: 'chat', messages: [{ role: 'user', content: 'hi' }], params: { maxTokens: 100 }, routing: { objective: 'balanced' } };

function outcome(arm: string, kind: 'ok' | ErrorKind): AttemptOutcome {
  const traits = kind === 'ok' ? { retryable: false, countsAgainstArm: false } : traitsOf(kind);
  return { arm, attempt: 1, kind, ...traits, startedAt: 0, latencyMs: 500, costUsd: 0, usage: kind === 'ok' ? { inputTokens: 100, outputTokens: 80 } : { inputTokens: 0, outputTokens: 0 } };
}

function selector(options: Partial<ThompsonOptions> & { good: string[]; bad: string[] }) {
  const clock = new ManualClock(0);
  const s = new ThompsonSelector({ clock, random: new SeededRandom(1), arms: [recovering, steady, spare], explorationRate: 0, halfOpen: (arm) => arm === 'recovering', ...options });
  for (let i = 0; i < 200; i++) {
    for (const arm of options.good) s.record(outcome(arm, 'ok'), 'chat');
    for (const arm of options.bad) s.record(outcome(arm, 'server_error'), 'chat');
  }
  return (arms = [recovering, steady]) => s.select({ request, tried: [], clock }, arms);
}

describe('half-open probe reasons', () => {
  it('1. the probed arm is not the best score: "half-open probe of recovering … the best-scoring arm is steady (…), not used for this request"', () => {
    const d = selector({ good: ['steady'], bad: ['recovering'] })();
    expect(d.chosen.id).toBe('recovering');
    expect(d.reason).toMatch(/^half-open probe of recovering: its circuit breaker is half-open, so this request is the one call that tests whether recovering is back; the best-scoring arm is steady \(highest sampled net value \$[\d.]+ = .* over recovering −?\$[\d.]+\), not used for this request$/);
    expect(d).toMatchObject({ exploration: true, probe: true });
  });

  it('2. the probed arm is also the best score: "… recovering is also the best-scoring arm (…)", and that is not exploration', () => {
    const d = selector({ good: ['recovering'], bad: ['steady'] })();
    expect(d.chosen.id).toBe('recovering');
    expect(d.reason).toMatch(/^half-open probe of recovering: its circuit breaker is half-open, so this request is the one call that tests whether recovering is back; recovering is also the best-scoring arm \(highest sampled net value .* over steady .*\)$/);
    expect(d).toMatchObject({ exploration: false, probe: true });
  });

  it('3. the probe displaces an exploration floor draw: "… the exploration floor had drawn spare, the probe takes its place"', () => {
    // Every decision draws from the floor; among three arms the draw lands on spare for some seed-fixed decisions.
    const select = selector({ good: ['steady'], bad: ['recovering', 'spare'], explorationRate: 1 });
    const decisions = Array.from({ length: 40 }, () => select([recovering, steady, spare]));
    const displaced = decisions.find((d) => d.reason.includes('the exploration floor had drawn spare'));
    expect(displaced?.chosen.id).toBe('recovering');
    expect(displaced?.reason).toMatch(/^half-open probe of recovering: .*; the best-scoring arm is steady \(.*\), not used for this request; the exploration floor had drawn spare, the probe takes its place$/);
    expect(displaced).toMatchObject({ exploration: true, probe: true });
    // And a decision with no half-open arm is no probe.
    expect(selector({ good: ['steady'], bad: ['recovering'], halfOpen: () => false })()).toMatchObject({ chosen: { id: 'steady' }, exploration: false, probe: false });
  });

  it('through the router: the probe decision carries every candidate’s breaker state', async () => {
    const clock = new ManualClock(0);
    const breakers = new BreakerRegistry({ clock });
    const providers = new ScriptedProviders(clock, { recovering: [{ ok: false, kind: 'server_error' }] });
    const thompson = new ThompsonSelector({ clock, random: new SeededRandom(2), arms: [recovering, steady], explorationRate: 0, halfOpen: breakers.halfOpen });
    const bus = new RouterEventBus();
    const decisions: Array<Extract<RouterEvent, { type: 'decision' }>> = [];
    bus.subscribe((e) => e.type === 'decision' && decisions.push(e));
    const router = new Router({ arms: [recovering, steady], providers, selector: thompson, clock, breakers, events: bus, outcomeSinks: [thompson], random: new SeededRandom(3) });
    for (let i = 0; i < 20 && breakers.stateOf('recovering').state !== 'open'; i++) breakers.record(outcome('recovering', 'server_error'), undefined, `fail-${i}`);
    expect(breakers.stateOf('recovering').state).toBe('open');
    await clock.advance(60_000);
    expect(breakers.halfOpen('recovering')).toBe(true);
    decisions.length = 0;
    await settle(clock, router.route({ ...request, id: 'probe' }));
    const [first] = decisions;
    expect(first.decision).toMatchObject({ chosen: { id: 'recovering' }, probe: true });
    expect(first.decision.reason).toMatch(/^half-open probe of recovering: its circuit breaker is half-open/);
    expect(first.decision.candidates.map((c) => [c.arm, c.breaker])).toEqual([
      ['recovering', 'half_open'],
      ['steady', 'closed'],
    ]);
  });
});
