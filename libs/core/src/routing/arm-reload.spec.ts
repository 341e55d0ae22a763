import { traitsOf, type ErrorKind } from '../errors/error-kind';
import type { AttemptOutcome } from '../outcome/attempt-outcome';
import { ThompsonSelector } from '../policy/thompson-selector';
import { SeededRandom } from '../ports/random';
import { BreakerRegistry } from '../resilience/breaker-registry';
import { request, settle } from '../resilience/spec-support';
import { Router } from '../router';
import { ManualClock } from '../testing/manual-clock';
import { ScriptedProviders, makeArm, type ScriptedStep } from '../testing/fake-provider';
import { diffArms } from './arm-changes';
import { reloadArms } from './arm-reload';
import { OrderedSelector } from './ordered-selector';

function outcome(arm: string, kind: ErrorKind | 'ok', latencyMs = 200): AttemptOutcome {
  return { arm, attempt: 1, kind, ...traitsOf(kind === 'ok' ? 'server_error' : kind), countsAgainstArm: kind !== 'ok', retryable: kind !== 'ok', startedAt: 0, latencyMs, costUsd: 0.001, usage: { inputTokens: 100, outputTokens: 50 } } as AttemptOutcome;
}

function setup(scripts: Record<string, ScriptedStep[]> = {}, arms = [makeArm('a'), makeArm('b')]) {
  const clock = new ManualClock(1_000);
  const providers = new ScriptedProviders(clock, scripts);
  const selector = new ThompsonSelector({ clock, random: new SeededRandom(7), arms });
  const breakers = new BreakerRegistry({ clock });
  const router = new Router({ arms, providers, selector, outcomeSinks: [selector], clock, breakers, random: new SeededRandom(1) });
  const holders = [selector, breakers];
  const view = (id: string) => selector.snapshot().find((s) => s.arm === id);
  return { clock, providers, selector, breakers, router, holders, view };
}

describe('diffArms', () => {
  it('keeps an arm whose provider and model stay, whatever else changes; another model under the same id is a replacement', () => {
    const before = [makeArm('same'), makeArm('price'), makeArm('classes'), makeArm('model'), makeArm('gone')];
    const after = [
      makeArm('same'),
      makeArm('price', { pricing: { inputPer1M: 0.5, outputPer1M: 2 } }),
      makeArm('classes', { classes: ['coding'] }),
      makeArm('model', { model: 'other-model' }),
      makeArm('new'),
    ];
    expect(diffArms(before, after)).toEqual({ added: ['new'], removed: ['gone'], replaced: ['model'], repriced: ['price'], reconfigured: ['classes'], unchanged: ['same'] });
  });
});

describe('reloadArms: learnt state across a routing-table reload', () => {
  it('an unchanged arm keeps its posterior, latency sketch and breaker', () => {
    const { selector, breakers, router, holders, view } = setup();
    for (let i = 0; i < 30; i++) selector.record(outcome('a', 'ok', 150), 'default');
    for (let i = 0; i < 5; i++) breakers.record(outcome('b', 'server_error'));
    const before = view('a')!;
    expect(breakers.stateOf('b').state).toBe('open');

    const { changes } = reloadArms(router, [makeArm('a'), makeArm('b'), makeArm('c')], holders);

    expect(changes.unchanged).toEqual(['a', 'b']);
    expect(view('a')).toMatchObject({ observations: before.observations, successMean: before.successMean, p95Ms: before.p95Ms });
    expect(breakers.stateOf('b').state).toBe('open');
  });

  it('a repriced arm keeps its learnt quality and latency and is costed at the new price from the next decision', () => {
    const { selector, router, holders, view } = setup();
    for (let i = 0; i < 30; i++) {
      selector.record(outcome('a', 'ok', 150), 'default');
      selector.recordQuality({ arm: 'a', requestClass: 'default', score: i % 3 === 0 ? 0 : 1, kind: 'feedback', source: 'test', id: `q${i}` });
    }
    const before = view('a')!;
    const cheaper = makeArm('a', { pricing: { inputPer1M: 0.1, outputPer1M: 0.2 } });

    const { changes } = reloadArms(router, [cheaper, makeArm('b')], holders);

    expect(changes.repriced).toEqual(['a']);
    const after = view('a')!;
    expect(after).toMatchObject({ observations: before.observations, qualityMean: before.qualityMean, qualityEvidence: before.qualityEvidence, p95Ms: before.p95Ms });
    expect(after.expectedCostUsd).toBeCloseTo(before.expectedCostUsd! / 10, 12);
    expect(selector.expectedCostUsd(cheaper, request())).toBeLessThan(selector.expectedCostUsd(makeArm('b'), request()));
  });

  it('a new arm starts from its priors and is chosen once it proves better', async () => {
    const { clock, selector, router, holders, view } = setup({ a: [{ ok: true, latencyMs: 2_000 }], b: [{ ok: true, latencyMs: 2_000 }], c: [{ ok: true, latencyMs: 100 }] });
    for (let i = 0; i < 40; i++) {
      selector.record(outcome('a', 'ok', 2_000), 'default');
      selector.record(outcome('b', 'ok', 2_000), 'default');
    }
    reloadArms(router, [makeArm('a'), makeArm('b'), makeArm('c', { pricing: { inputPer1M: 0.5, outputPer1M: 1 } })], holders);
    expect(view('c')).toMatchObject({ observations: 0 });
    const served: string[] = [];
    for (let i = 0; i < 60; i++) served.push((await settle(clock, router.route(request({ id: `r${i}` })))).servedBy!.arm);
    expect(served.slice(-20).filter((a) => a === 'c').length).toBeGreaterThanOrEqual(18);
  });

  it('a new arm starts from what is known of the arms already serving, not from a coin flip', () => {
    const { selector, router, holders, view } = setup();
    for (let i = 0; i < 200; i++) {
      selector.record(outcome('a', i % 100 === 0 ? 'server_error' : 'ok', 400), 'default');
      selector.record(outcome('b', 'ok', 900), 'default');
    }
    reloadArms(router, [makeArm('a'), makeArm('b'), makeArm('c')], holders);
    const c = view('c')!;
    // The population's P(ok) (≈ 0.99), trusted for 20 outcomes, instead of the uniform prior's 0.5.
    expect(c.successMean).toBeGreaterThan(0.98);
    expect(c.successEvidence).toBe(0);
    expect(c.latencyMedianMs).toBeGreaterThan(400);
    expect(c.latencyMedianMs).toBeLessThan(900);
    // Twenty failures overrule it.
    for (let i = 0; i < 20; i++) selector.record(outcome('c', 'server_error'), 'default');
    expect(view('c')!.successMean).toBeLessThan(0.6);
  });

  it('at startup, and for an arm whose routing-table priors say otherwise, the population does not apply', () => {
    const clock = new ManualClock(0);
    const fresh = new ThompsonSelector({ clock, random: new SeededRandom(1), arms: [makeArm('a'), makeArm('b')] });
    expect(fresh.snapshot().map((s) => s.successMean)).toEqual([0.5, 0.5]);
    const withPriors = new ThompsonSelector({ clock, random: new SeededRandom(1), arms: [makeArm('a')], armPriors: { c: { successAlpha: 3, successBeta: 3 } } });
    for (let i = 0; i < 50; i++) withPriors.record(outcome('a', 'ok'), 'default');
    withPriors.updateArms([makeArm('a'), makeArm('c')]);
    expect(withPriors.snapshot().find((s) => s.arm === 'c')?.successMean).toBe(0.5);
  });

  it('a replaced arm (another model under the same id) starts again, breaker closed', () => {
    const { selector, breakers, router, holders, view } = setup();
    for (let i = 0; i < 30; i++) selector.record(outcome('a', 'ok', 150), 'default');
    for (let i = 0; i < 5; i++) breakers.record(outcome('a', 'server_error'));

    const { changes } = reloadArms(router, [makeArm('a', { model: 'a-v2' }), makeArm('b')], holders);

    expect(changes.replaced).toEqual(['a']);
    expect(view('a')).toMatchObject({ observations: 0 });
    expect(breakers.stateOf('a').state).toBe('closed');
  });
});

describe('reloadArms: a removed arm drains', () => {
  it('lets the call in flight finish and learns from it, never selects the arm again, then drops its state', async () => {
    const { clock, providers, router, holders, view, breakers } = setup({ a: [{ ok: true, latencyMs: 1_000 }] }, [makeArm('a'), makeArm('b')]);
    const ordered = new Router({ arms: router.arms, providers, selector: new OrderedSelector(), clock, outcomeSinks: [holders[0] as ThompsonSelector], breakers });
    const inFlight = ordered.route(request({ id: 'slow' }));
    await clock.advance(10);
    expect(ordered.drain.count('a')).toBe(1);

    const reload = reloadArms(ordered, [makeArm('b')], holders);
    let drained = false;
    void reload.drained.then(() => (drained = true));
    expect(reload.changes.removed).toEqual(['a']);
    const next = await settle(clock, ordered.route(request({ id: 'after' })));
    expect(next.servedBy?.arm).toBe('b');
    expect(drained).toBe(false);
    expect(view('a')).toBeDefined();

    const first = await settle(clock, inFlight);
    expect(first.servedBy?.arm).toBe('a');
    await reload.drained;
    expect(view('a')).toBeUndefined();
    expect(breakers.snapshot().map((b) => b.arm)).not.toContain('a');
    expect(providers.calls.filter((c) => c.arm === 'a').map((c) => c.requestId)).toEqual(['slow']);
  });

  it('does not retry a removed arm: a request whose attempt on it failed is not sent to it again', async () => {
    const { clock, providers, holders, breakers } = setup({ a: [{ ok: false, kind: 'server_error', latencyMs: 500 }] }, [makeArm('a'), makeArm('b')]);
    const ordered = new Router({ arms: [makeArm('a'), makeArm('b')], providers, selector: new OrderedSelector(), clock, breakers, random: new SeededRandom(2) });
    // Only a may serve this request, so after its failure the router's one option is a retry on a.
    const pending = ordered.route(request({ id: 'r', routing: { objective: 'balanced', models: ['a'] } }));
    await clock.advance(10);
    reloadArms(ordered, [makeArm('b')], holders);
    const result = await settle(clock, pending);
    expect(providers.calls.map((c) => c.arm)).toEqual(['a']);
    expect(result.status).toBe('failed');
    expect(result.error?.message).toMatch(/removed from the routing table/);
  });

  it('ignores outcomes of a removed arm that arrive later (broadcast by another replica) until a reload adds it back', async () => {
    const { router, holders, selector, view } = setup();
    await reloadArms(router, [makeArm('b')], holders).drained;
    selector.record(outcome('a', 'ok'), 'default', 'other-replica:1');
    expect(view('a')).toBeUndefined();
    reloadArms(router, [makeArm('a'), makeArm('b')], holders);
    selector.record(outcome('a', 'ok'), 'default', 'other-replica:2');
    expect(view('a')).toMatchObject({ observations: 1 });
  });
});
