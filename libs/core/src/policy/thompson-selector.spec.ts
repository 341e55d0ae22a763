import { SeededRandom } from '../ports/random';
import type { RouteRequest } from '../routing/route-request';
import { makeArm } from '../testing/fake-provider';
import { a, b, outcome, request, setup } from './spec-support';
import type { ThompsonSelector } from './thompson-selector';

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

  it('prices exploration: a draw favouring an arm known to be worse is not followed, an arm nobody knows is tried', async () => {
    // a: 95 % ok, b: 88 % ok, learnt as traffic comes: Thompson draws overlap often enough to send b traffic forever.
    const shareOfB = async (horizonMs: number) => {
      const { selector, ctx, clock } = setup({ explorationRate: 0, shiftDetection: false, explorationHorizonMs: horizonMs });
      const served = { a: 0, b: 0 };
      const serve = (arm: 'a' | 'b') => selector.record(outcome(arm, served[arm]++ % (arm === 'a' ? 20 : 8) === 7 ? 'server_error' : 'ok'), 'chat');
      for (let i = 0; i < 60; i++) {
        serve('a');
        serve('b');
      }
      let chosen = 0;
      let priced = 0;
      for (let i = 0; i < 2_000; i++) {
        await clock.advance(1_000);
        const d = selector.select(ctx(), [a, b]);
        serve(d.chosen.id as 'a' | 'b');
        if (d.chosen.id === 'b') chosen++;
        if (/^best by the posterior means; a draw favoured b/.test(d.reason)) priced++;
      }
      return { share: chosen / 2_000, priced };
    };
    const plain = await shareOfB(0);
    const pricedRun = await shareOfB(20 * 60_000);
    expect(plain.share).toBeGreaterThan(0.03);
    expect(plain.priced).toBe(0);
    expect(pricedRun.share).toBeLessThan(plain.share / 3);
    expect(pricedRun.priced).toBeGreaterThan(0);

    // A new arm added by a reload (it starts from the population prior) is tried within a few hundred requests.
    const c = makeArm('c');
    const { selector, ctx, clock } = setup({ explorationRate: 0, arms: [a] });
    for (let i = 0; i < 300; i++) selector.record(outcome('a', 'ok'), 'chat');
    selector.updateArms([a, c]);
    let triedC = 0;
    for (let i = 0; i < 300; i++) {
      await clock.advance(1_000);
      if (selector.select(ctx(), [a, c]).chosen.id === 'c') triedC++;
    }
    expect(triedC).toBeGreaterThan(3);
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
