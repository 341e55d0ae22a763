import { a, outcome, setup } from './spec-support';

describe('policySnapshot', () => {
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
});
