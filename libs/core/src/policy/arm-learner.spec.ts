import type { ErrorKind } from '../errors/error-kind';
import { a, b, outcome, request, setup } from './spec-support';

// The learner is reached through the selector that owns it, as the router and the broadcast do.
describe('ArmLearner', () => {
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

  it('counts the same feedback once, and ignores scores outside [0, 1]', () => {
    const { selector } = setup();
    const fb = { arm: 'a', requestClass: 'chat', score: 0, kind: 'feedback' as const, source: 'user', id: 'r1:user' };
    for (let i = 0; i < 5; i++) selector.recordQuality(fb);
    selector.recordQuality({ ...fb, id: 'r2:user', score: 7 });
    expect(selector.snapshot().find((s) => s.arm === 'a')!.classes.chat.qualityEvidence).toBeCloseTo(1, 6);
  });

  it('learns late feedback as of the answer it judges: scores of hour-old answers leave the evidence as stale as those answers', async () => {
    const { selector, clock } = setup();
    await clock.advance(120 * 60_000);
    const fb = (id: string, answeredAt?: number) => selector.recordQuality({ arm: 'a', requestClass: 'chat', score: 1, kind: 'feedback', source: 'user', id, ...(answeredAt === undefined ? {} : { answeredAt }) });
    const fade = (arm: string) => {
      const state = selector.learner.stateFor(arm);
      return selector.learner.posteriorFor(state, 'chat').qualityFadeAt(clock.now());
    };
    for (let i = 0; i < 10; i++) fb(`old${i}`, clock.now() - 60 * 60_000);
    expect(fade('a')).toBeLessThan(0.1);
    // Feedback of a fresh answer refreshes it; an answer time in the future counts as now.
    fb('new', clock.now() + 60_000);
    expect(fade('a')).toBe(1);
  });
});
