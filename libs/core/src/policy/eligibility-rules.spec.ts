import { SeededRandom } from '../ports/random';
import { Router } from '../router';
import { DEFAULT_RULES } from '../routing/eligibility';
import { makeArm, ScriptedProviders } from '../testing/fake-provider';
import { ManualClock } from '../testing/manual-clock';
import { a, b, request, setup } from './spec-support';
import { ThompsonSelector } from './thompson-selector';

describe('maxCostRule', () => {
  it('excludes arms whose expected cost exceeds maxCostUsd, and explains it as an eligibility rule', () => {
    const pricey = makeArm('pricey', { pricing: { inputPer1M: 1_000, outputPer1M: 2_000 } });
    const { selector, ctx } = setup({ explorationRate: 1 });
    const r = request({ maxCostUsd: 0.01 });
    for (let i = 0; i < 50; i++) expect(selector.select(ctx(r), [a, pricey]).chosen.id).toBe('a');
    const rule = selector.maxCostRule();
    expect(rule(pricey, { request: r, promptTokens: 10, tried: new Set(), now: 0 })).toMatch(/^expected cost \$0\.\d+ > maxCostUsd \$0\.0100$/);
    expect(rule(a, { request: r, promptTokens: 10, tried: new Set(), now: 0 })).toBeUndefined();
  });
});

describe('qualityFloorRule', () => {
  it('makes an arm ineligible for a class while its quality lower bound is under minQuality, and the router fails with quality_unavailable when none is left', async () => {
    const clock = new ManualClock(0);
    const selector = new ThompsonSelector({ clock, random: new SeededRandom(3), arms: [a, b], minQuality: { chat: 0.7 }, armPriors: { a: { qualityAlpha: 45, qualityBeta: 5 }, b: { qualityAlpha: 45, qualityBeta: 5 } } });
    const rule = selector.qualityFloorRule();
    const ctx = { request: request(), promptTokens: 10, tried: new Set<string>(), now: 0 };
    expect(rule(a, ctx)).toBeUndefined();
    for (let i = 0; i < 40; i++) selector.recordQuality({ arm: 'a', requestClass: 'chat', score: 0, kind: 'feedback', source: 'user', id: `a${i}` });
    expect(rule(a, ctx)).toMatch(/^quality below the class minQuality: 0\.\d\d < 0\.7$/);
    expect(rule(b, ctx)).toBeUndefined();
    expect(rule(a, { ...ctx, request: request({}, { class: 'other' }) })).toBeUndefined();

    for (let i = 0; i < 40; i++) selector.recordQuality({ arm: 'b', requestClass: 'chat', score: 0, kind: 'feedback', source: 'user', id: `b${i}` });
    const router = new Router({ arms: [a, b], providers: new ScriptedProviders(clock, {}), selector, clock, eligibilityRules: [...DEFAULT_RULES, rule] });
    const result = await router.route(request());
    expect(result).toMatchObject({ status: 'failed', error: { kind: 'quality_unavailable', retryable: false } });
    expect(result.attempts).toEqual([]);
  });
});
