import { expectedNetValue, OBJECTIVE_PRESETS, realisedNetValue, resolveValue } from './net-value';

describe('net value', () => {
  it('is V · P(good) − cost − latency cost, with the pacer weight on cost only', () => {
    const value = { valueUsd: 0.05, latencyUsdPerSecond: 0.002 };
    expect(expectedNetValue({ pGood: 0.9, expectedCostUsd: 0.004, expectedLatencyMs: 1_500 }, value)).toBeCloseTo(0.045 - 0.004 - 0.003, 12);
    expect(expectedNetValue({ pGood: 0.9, expectedCostUsd: 0.004, expectedLatencyMs: 1_500 }, value, 3)).toBeCloseTo(0.045 - 0.012 - 0.003, 12);
  });

  it('scores what happened the same way: V only for a good answer, cost and waiting always', () => {
    const value = { valueUsd: 0.05, latencyUsdPerSecond: 0.002 };
    expect(realisedNetValue({ good: true, costUsd: 0.004, latencyMs: 1_000 }, value)).toBeCloseTo(0.044, 12);
    expect(realisedNetValue({ good: false, costUsd: 0.004, latencyMs: 1_000 }, value)).toBeCloseTo(-0.006, 12);
  });

  it('resolves request over class over the objective preset, field by field', () => {
    expect(resolveValue('quality')).toEqual(OBJECTIVE_PRESETS.quality);
    expect(resolveValue('balanced', { valueUsd: 0.5 })).toEqual({ valueUsd: 0.5, latencyUsdPerSecond: OBJECTIVE_PRESETS.balanced.latencyUsdPerSecond });
    expect(resolveValue('balanced', { valueUsd: 0.5, latencyUsdPerSecond: 0.01 }, { latencyUsdPerSecond: 0 })).toEqual({ valueUsd: 0.5, latencyUsdPerSecond: 0 });
  });

  it('makes the presets mean what their names say on a cheap/frontier pair', () => {
    // Frontier: 94% acceptable at $0.0075; small: 72% at $0.0003, both ~1 s.
    const frontier = { pGood: 0.94, expectedCostUsd: 0.0075, expectedLatencyMs: 1_000 };
    const small = { pGood: 0.72, expectedCostUsd: 0.0003, expectedLatencyMs: 1_000 };
    const better = (o: keyof typeof OBJECTIVE_PRESETS) => (expectedNetValue(frontier, OBJECTIVE_PRESETS[o]) > expectedNetValue(small, OBJECTIVE_PRESETS[o]) ? 'frontier' : 'small');
    expect(better('quality')).toBe('frontier');
    expect(better('cheapest')).toBe('small');
    // balanced: 22 points × $0.02 = $0.0044 < $0.0072 price gap.
    expect(better('balanced')).toBe('small');
  });
});
