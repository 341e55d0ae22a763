import { traitsOf, type ErrorKind } from '../errors/error-kind';
import type { AttemptOutcome } from '../outcome/attempt-outcome';
import { SeededRandom } from '../ports/random';
import type { RouteRequest } from '../routing/route-request';
import { makeArm } from '../testing/fake-provider';
import { ManualClock } from '../testing/manual-clock';
import { Router } from '../router';
import { DEFAULT_RULES } from '../routing/eligibility';
import { ScriptedProviders } from '../testing/fake-provider';
import { ThompsonSelector, type ThompsonOptions } from './thompson-selector';

const a = makeArm('a');
const b = makeArm('b');

function request(routing: Partial<RouteRequest['routing']> = {}, overrides: Partial<RouteRequest> = {}): RouteRequest {
  return { id: 'r', tenant: 't1', class: 'chat', messages: [{ role: 'user', content: 'hi' }], params: { maxTokens: 100 }, routing: { objective: 'balanced', ...routing }, ...overrides };
}

/** The clock of the test running (outcomes happen now: learners apply an outcome at its own time). */
let testClock: { now(): number } = { now: () => 0 };

function outcome(arm: string, kind: 'ok' | ErrorKind, latencyMs = 500): AttemptOutcome {
  const traits = kind === 'ok' ? { retryable: false, countsAgainstArm: false } : traitsOf(kind);
  return { arm, attempt: 1, kind, ...traits, startedAt: testClock.now() - latencyMs, latencyMs, costUsd: 0, usage: kind === 'ok' ? { inputTokens: 100, outputTokens: 80 } : { inputTokens: 0, outputTokens: 0 } };
}

function setup(options: Partial<ThompsonOptions> = {}) {
  const clock = new ManualClock(0);
  testClock = clock;
  const selector = new ThompsonSelector({ clock, random: new SeededRandom(1), arms: [a, b], ...options });
  const ctx = (r = request()) => ({ request: r, tried: [], clock });
  return { clock, selector, ctx };
}

describe('ThompsonSelector', () => {
  it('returns the decision as data: every candidate with its sampled success, P95, expected cost and utility', () => {
    const { selector, ctx } = setup();
    const decision = selector.select(ctx(), [a, b]);
    expect(decision.candidates.map((c) => c.arm)).toEqual(['a', 'b']);
    for (const c of decision.candidates) {
      expect(c.sampledSuccess).toBeGreaterThanOrEqual(0);
      expect(c.sampledSuccess).toBeLessThanOrEqual(1);
      expect(c.sampledLatencyMs).toBeGreaterThan(0);
      expect(c.expectedCostUsd).toBeGreaterThan(0);
      expect(Number.isFinite(c.utility)).toBe(true);
    }
    expect(decision.reason).toMatch(/highest sampled net value .* \(balanced value\)|exploration/);
    expect(decision.value).toEqual({ valueUsd: 0.02, latencyUsdPerSecond: 0.001 });
    const best = decision.candidates.reduce((x, y) => ((x.utility as number) >= (y.utility as number) ? x : y));
    if (!decision.exploration) expect(decision.chosen.id).toBe(best.arm);
  });

  it.each<ErrorKind>(['rate_limited', 'bad_request', 'budget_exceeded', 'auth', 'content_policy', 'partial'])('ignores %s outcomes: they never hurt the success posterior', (kind) => {
    const { selector } = setup();
    for (let i = 0; i < 50; i++) selector.record(outcome('a', kind), 'chat');
    const snap = selector.snapshot().find((s) => s.arm === 'a');
    expect(snap?.observations).toBe(0);
    expect(snap?.successMean).toBe(0.5);
  });

  it('ignores cancelled attempts (a hedge that lost)', () => {
    const { selector } = setup();
    selector.record({ ...outcome('a', 'ok'), kind: 'cancelled', countsAgainstArm: false }, 'chat');
    expect(selector.snapshot().find((s) => s.arm === 'a')?.observations).toBe(0);
  });

  it('learns from failures that count against the arm', () => {
    const { selector } = setup();
    for (let i = 0; i < 20; i++) selector.record(outcome('a', 'server_error'), 'chat');
    expect(selector.snapshot().find((s) => s.arm === 'a')!.successMean).toBeLessThan(0.1);
  });

  it('ingests the same outcome once when given an outcome id (replicas re-broadcast)', () => {
    const { selector } = setup();
    selector.record(outcome('a', 'ok'), 'chat', 'req-1:1');
    selector.record(outcome('a', 'ok'), 'chat', 'req-1:1');
    selector.record(outcome('a', 'ok'), 'chat', 'req-2:1');
    expect(selector.snapshot().find((s) => s.arm === 'a')?.observations).toBe(2);
  });

  it('learns outcomes of arms it has never selected (from other replicas)', () => {
    const { selector } = setup();
    selector.record(outcome('elsewhere', 'ok', 120), 'chat');
    expect(selector.snapshot().map((s) => s.arm)).toContain('elsewhere');
    expect(selector.p95('elsewhere')).toBeGreaterThan(0);
  });

  it('draws a random arm on about 2% of decisions (the exploration floor) and flags exploration only when the draw is not the best score', () => {
    const { selector, ctx } = setup();
    for (let i = 0; i < 300; i++) {
      selector.record(outcome('a', 'ok'), 'chat');
      selector.record(outcome('b', 'server_error'), 'chat');
    }
    let explored = 0;
    let chosenB = 0;
    for (let i = 0; i < 5_000; i++) {
      const d = selector.select(ctx(), [a, b]);
      if (/^exploration floor/.test(d.reason)) explored++;
      const best = d.candidates.reduce((x, y) => ((x.utility as number) >= (y.utility as number) ? x : y));
      expect(d.exploration).toBe(d.chosen.id !== best.arm);
      if (d.chosen.id === 'b') chosenB++;
    }
    expect(explored / 5_000).toBeGreaterThan(0.013);
    expect(explored / 5_000).toBeLessThan(0.027);
    expect(chosenB / 5_000).toBeLessThan(0.02);
  });

  it('warm-starts a new class from the global posterior, trusting at most 20 observations of it', () => {
    const { selector, ctx } = setup({ explorationRate: 0 });
    for (let i = 0; i < 300; i++) {
      selector.record(outcome('a', 'ok'), 'chat');
      selector.record(outcome('b', 'server_error'), 'chat');
    }
    const picks = Array.from({ length: 200 }, () => selector.select(ctx(request({}, { class: 'coding' })), [a, b]).chosen.id);
    expect(picks.filter((p) => p === 'a').length).toBeGreaterThan(190);
    const coding = selector.snapshot().find((s) => s.arm === 'a')!.classes.coding;
    expect(coding.observations).toBe(0);
  });

  it('widens the posterior of an arm nobody tried for a while, so it gets re-tried', async () => {
    const { selector, ctx, clock } = setup({ explorationRate: 0, shiftDetection: false });
    for (let i = 0; i < 300; i++) selector.record(outcome('b', i % 3 === 0 ? 'server_error' : 'ok'), 'chat');
    for (let i = 0; i < 300; i++) selector.record(outcome('a', 'ok'), 'chat');
    const shareOfB = () => Array.from({ length: 1_000 }, () => selector.select(ctx(), [a, b]).chosen.id).filter((x) => x === 'b').length;
    const fresh = shareOfB();
    await clock.advance(90 * 60_000);
    selector.record(outcome('a', 'ok'), 'chat');
    expect(shareOfB()).toBeGreaterThan(fresh + 20);
  });

  it('excludes arms whose expected cost exceeds maxCostUsd, and explains it as an eligibility rule', () => {
    const pricey = makeArm('pricey', { pricing: { inputPer1M: 1_000, outputPer1M: 2_000 } });
    const { selector, ctx } = setup({ explorationRate: 1 });
    const r = request({ maxCostUsd: 0.01 });
    for (let i = 0; i < 50; i++) expect(selector.select(ctx(r), [a, pricey]).chosen.id).toBe('a');
    const rule = selector.maxCostRule();
    expect(rule(pricey, { request: r, promptTokens: 10, tried: new Set(), now: 0 })).toMatch(/^expected cost \$0\.\d+ > maxCostUsd \$0\.0100$/);
    expect(rule(a, { request: r, promptTokens: 10, tried: new Set(), now: 0 })).toBeUndefined();
  });

  it('multiplies the cost term by the budget pacer weight, moving traffic to the cheaper arm', () => {
    const cheap = makeArm('cheap', { pricing: { inputPer1M: 1, outputPer1M: 2 } });
    const dear = makeArm('dear', { pricing: { inputPer1M: 2, outputPer1M: 4 } });
    let weight = 1;
    const { selector, ctx } = setup({ explorationRate: 0, arms: [cheap, dear], costWeight: () => weight });
    for (let i = 0; i < 300; i++) {
      selector.record(outcome('cheap', i % 5 === 0 ? 'server_error' : 'ok'), 'chat');
      selector.record(outcome('dear', 'ok'), 'chat');
    }
    // A good answer worth $0.004: the dear arm's 20 points of success pay for its price at weight 1, not at 5.
    const r = request({ valueUsd: 0.004 });
    const shareCheap = () => Array.from({ length: 500 }, () => selector.select(ctx(r), [cheap, dear]).chosen.id).filter((x) => x === 'cheap').length / 500;
    const relaxed = shareCheap();
    weight = 5;
    const paced = shareCheap();
    expect(relaxed).toBeLessThan(0.2);
    expect(paced).toBeGreaterThan(0.8);
    expect(selector.select(ctx(r), [cheap, dear]).reason).toMatch(/cost weight ×5\.00 from budget pacing/);
  });

  it('reports P50/P95/P99 from the sketch, cost per success and selection share', () => {
    const { selector, ctx } = setup({ explorationRate: 0 });
    for (let i = 1; i <= 1_000; i++) selector.record(outcome('a', 'ok', i), 'chat');
    for (let i = 0; i < 10; i++) selector.select(ctx(), [a]);
    const snap = selector.snapshot().find((s) => s.arm === 'a')!;
    expect(snap.p50Ms).toBeGreaterThan(495);
    expect(snap.p50Ms).toBeLessThan(505);
    expect(snap.p95Ms! / 950).toBeCloseTo(1, 1);
    expect(snap.p99Ms! / 990).toBeCloseTo(1, 1);
    expect(snap.selectionShareLastMinute).toBe(1);
    // 100 input × $1/1M + 80 output × $2/1M, success ≈ 1, P(acceptable) at its prior 0.99 × 0.8.
    expect(snap.costPerSuccessUsd).toBeCloseTo(0.00026 / 0.792, 5);
    expect(snap.qualityMean).toBeCloseTo(0.792, 5);
    expect(selector.p95('a')).toBe(snap.p95Ms);
    expect(selector.p95('b')).toBeUndefined();
  });
  it('passes a recovery its global posterior detected on to the class posteriors that did not see it', () => {
    const { selector } = setup({ explorationRate: 0 });
    for (let i = 0; i < 200; i++) {
      selector.record(outcome('a', 'ok'), 'chat');
      selector.record(outcome('a', 'ok'), 'extraction');
    }
    for (let i = 0; i < 60; i++) {
      selector.record(outcome('a', 'server_error'), 'chat');
      selector.record(outcome('a', 'server_error'), 'extraction');
    }
    const classMean = (c: string) => selector.snapshot().find((s) => s.arm === 'a')!.classes[c].successMean;
    expect(classMean('extraction')).toBeLessThan(0.2);
    // The arm comes back; only chat traffic probes it.
    for (let i = 0; i < 5; i++) selector.record(outcome('a', 'ok'), 'chat');
    const snap = selector.snapshot().find((s) => s.arm === 'a')!;
    expect(snap.successMean).toBeGreaterThan(0.7);
    // Took over the global post-change evidence at the alarm (the global went on learning after it).
    expect(classMean('extraction')).toBeGreaterThan(0.7);
    expect(snap.classes.extraction.observations).toBe(260);
  });

  it('passes a drop its global posterior detected on to the class posteriors (same reset)', () => {
    const { selector } = setup({ explorationRate: 0 });
    for (let i = 0; i < 200; i++) {
      selector.record(outcome('a', 'ok'), 'chat');
      selector.record(outcome('a', 'ok'), 'extraction');
    }
    for (let i = 0; i < 6; i++) selector.record(outcome('a', 'server_error'), 'chat');
    const snap = selector.snapshot().find((s) => s.arm === 'a')!;
    expect(snap.successMean).toBeLessThan(0.5);
    expect(snap.classes.extraction.successMean).toBeLessThan(0.5);
    expect(snap.classes.extraction.observations).toBe(200);
  });

  it('tries an arm again once its latency is back: the latency CUSUM resets the slow evidence on a few probes', () => {
    const { selector, ctx } = setup({ explorationRate: 0 });
    const shareOfA = () => Array.from({ length: 500 }, () => selector.select(ctx(), [a, b]).chosen.id).filter((x) => x === 'a').length / 500;
    for (let i = 0; i < 300; i++) {
      selector.record(outcome('a', 'ok', 6_000 + (i % 7) * 300), 'chat');
      selector.record(outcome('b', 'ok', 1_000 + (i % 7) * 50), 'chat');
    }
    expect(shareOfA()).toBeLessThan(0.05);
    for (let i = 0; i < 6; i++) selector.record(outcome('a', 'ok', 300 + (i % 3) * 20), 'chat');
    expect(selector.snapshot().find((s) => s.arm === 'a')!.latencyMedianMs).toBeLessThan(1_000);
    expect(shareOfA()).toBeGreaterThan(0.5);
  });

  it('keeps a slow history without latency change detection (the old behaviour)', () => {
    const { selector } = setup({ explorationRate: 0, latencyShiftDetection: false });
    for (let i = 0; i < 300; i++) selector.record(outcome('a', 'ok', 6_000 + (i % 7) * 300), 'chat');
    for (let i = 0; i < 6; i++) selector.record(outcome('a', 'ok', 300), 'chat');
    expect(selector.snapshot().find((s) => s.arm === 'a')!.latencyMedianMs).toBeGreaterThan(4_000);
  });

  it('explores cheap arms more than a 16× dearer one, and says so in the reason', () => {
    const dear = makeArm('dear', { pricing: { inputPer1M: 16, outputPer1M: 32 } });
    const { selector, ctx } = setup({ explorationRate: 1, arms: [a, dear] });
    for (let i = 0; i < 300; i++) {
      selector.record(outcome('a', 'ok'), 'chat');
      selector.record(outcome('dear', 'ok'), 'chat');
    }
    let dearPicks = 0;
    for (let i = 0; i < 2_000; i++) {
      const d = selector.select(ctx(), [a, dear]);
      const best = d.candidates.reduce((x, y) => ((x.utility as number) >= (y.utility as number) ? x : y));
      expect(d.exploration).toBe(d.chosen.id !== best.arm);
      expect(d.reason).toMatch(/exploration floor \(100% of decisions\): random among 2 eligible arms, weighted to cheap and uncertain ones \(P = [\d.]+% for this arm\)/);
      if (d.chosen.id === 'dear') dearPicks++;
    }
    // Equal evidence, so the draw is by 1/cost: 1/17 ≈ 6%.
    expect(dearPicks / 2_000).toBeGreaterThan(0.03);
    expect(dearPicks / 2_000).toBeLessThan(0.09);
    const uniform = setup({ explorationRate: 1, arms: [a, dear], explorationCostExponent: 0 });
    const uniformDear = Array.from({ length: 2_000 }, () => uniform.selector.select(uniform.ctx(), [a, dear]).chosen.id).filter((x) => x === 'dear').length;
    expect(uniformDear / 2_000).toBeGreaterThan(0.45);
  });

  it('explores an arm with thin or stale evidence more than a well-known one of the same price', async () => {
    const { selector, ctx, clock } = setup({ explorationRate: 1 });
    for (let i = 0; i < 300; i++) selector.record(outcome('a', 'ok'), 'chat');
    for (let i = 0; i < 300; i++) selector.record(outcome('b', 'ok'), 'chat');
    const shareOfB = () => Array.from({ length: 2_000 }, () => selector.select(ctx(), [a, b]).chosen.id).filter((x) => x === 'b').length / 2_000;
    const fresh = shareOfB();
    expect(fresh).toBeGreaterThan(0.4);
    expect(fresh).toBeLessThan(0.6);
    await clock.advance(60 * 60_000);
    for (let i = 0; i < 300; i++) selector.record(outcome('a', 'ok'), 'chat');
    expect(shareOfB()).toBeGreaterThan(0.7);
  });
});

describe('ThompsonSelector and answer quality', () => {
  /** One request: select, the answer is ok, its checks pass, feedback on `share` of answers says whether it was acceptable. */
  function serve(selector: ThompsonSelector, ctx: (r?: RouteRequest) => unknown, quality: Record<string, number>, r: SeededRandom, i: number, share = 0.1): string {
    const arm = selector.select(ctx() as never, [a, b]).chosen.id;
    selector.record(outcome(arm, 'ok'), 'chat', `${i}:1`);
    selector.recordQuality({ arm, requestClass: 'chat', score: 1, kind: 'check', source: 'test', id: `${i}:check` });
    if (r.next() < share) selector.recordQuality({ arm, requestClass: 'chat', score: r.next() < quality[arm] ? 1 : 0, kind: 'feedback', source: 'user', id: `${i}:fb` });
    return arm;
  }

  it('moves ≥ 90% of traffic off an arm within 1,000 requests of a silent quality drop seen only through feedback on 10% of answers', () => {
    const { selector, ctx } = setup({ classValues: { chat: { valueUsd: 0.05 } } });
    const r = new SeededRandom(7);
    const quality: Record<string, number> = { a: 0.94, b: 0.85 };
    const before = Array.from({ length: 2_000 }, (_, i) => serve(selector, ctx, quality, r, i));
    // The better arm leads (feedback on 10% is a noisy measure of a 9-point gap), then loses its traffic.
    expect(before.slice(1_000).filter((x) => x === 'a').length / 1_000).toBeGreaterThan(0.6);
    quality.a = 0.6;
    const after = Array.from({ length: 1_500 }, (_, i) => serve(selector, ctx, quality, r, 2_000 + i));
    expect(after.slice(1_000).filter((x) => x === 'a').length / 500).toBeLessThan(0.1);
  });

  it('counts the same feedback once, and ignores scores outside [0, 1]', () => {
    const { selector } = setup();
    const fb = { arm: 'a', requestClass: 'chat', score: 0, kind: 'feedback' as const, source: 'user', id: 'r1:user' };
    for (let i = 0; i < 5; i++) selector.recordQuality(fb);
    selector.recordQuality({ ...fb, id: 'r2:user', score: 7 });
    expect(selector.snapshot().find((s) => s.arm === 'a')!.classes.chat.qualityEvidence).toBeCloseTo(1, 6);
  });

  it('scores with the declared value: a request worth more buys the better, dearer arm', () => {
    const cheap = makeArm('cheap', { pricing: { inputPer1M: 0.1, outputPer1M: 0.4 } });
    const dear = makeArm('dear', { pricing: { inputPer1M: 3, outputPer1M: 15 } });
    const { selector, ctx } = setup({ explorationRate: 0, arms: [cheap, dear] });
    for (let i = 0; i < 200; i++) {
      for (const arm of ['cheap', 'dear']) {
        selector.record(outcome(arm, 'ok'), 'chat', `${arm}${i}`);
        selector.recordQuality({ arm, requestClass: 'chat', score: i % 100 < (arm === 'dear' ? 94 : 72) ? 1 : 0, kind: 'feedback', source: 'judge', id: `${arm}${i}q` });
      }
    }
    const share = (valueUsd: number) => Array.from({ length: 200 }, () => selector.select(ctx(request({ valueUsd })), [cheap, dear]).chosen.id).filter((x) => x === 'dear').length / 200;
    expect(share(0.001)).toBeLessThan(0.05);
    expect(share(1)).toBeGreaterThan(0.95);
  });
});

describe('ThompsonSelector quality floor', () => {
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
