import fc from 'fast-check';
import { normalCdf } from '../stats/sampler';
import { documentedBound, empiricalCompletion, logNormalCompletion } from './completion-time';

describe('completion-time models', () => {
  it('documented bound: uniform over the window', () => {
    const m = documentedBound(100_000);
    expect(m.cdf(50_000)).toBe(0.5);
    expect(m.cdf(200_000)).toBe(1);
    expect(m.cdf(-1)).toBe(0);
    expect(m.partialMean(50_000) / m.cdf(50_000)).toBe(25_000);
  });

  it('log-normal: half done by the median, 95 % by the P95, the whole mean as the cutoff grows', () => {
    const m = logNormalCompletion(600_000, 3_600_000);
    expect(m.cdf(600_000)).toBeCloseTo(0.5, 6);
    expect(m.cdf(3_600_000)).toBeCloseTo(0.95, 5);
    const sigma = Math.log(6) / 1.6448536269514722;
    expect(m.partialMean(1e12) / Math.exp(Math.log(600_000) + (sigma * sigma) / 2)).toBeCloseTo(1, 5);
  });

  it('log-normal with median = P95 is a fixed time', () => {
    const m = logNormalCompletion(60_000, 60_000);
    expect([m.cdf(59_999), m.cdf(60_000), m.partialMean(60_000)]).toEqual([0, 1, 60_000]);
  });

  it('empirical: the observed times as they are', () => {
    const m = empiricalCompletion([40, 10, 30, 20]);
    expect(m.cdf(25)).toBe(0.5);
    expect(m.partialMean(25)).toBe(7.5);
    expect(m.cdf(40)).toBe(1);
    expect(() => empiricalCompletion([])).toThrow(RangeError);
  });

  it('normalCdf is symmetric and accurate at known points', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.6448536269514722)).toBeCloseTo(0.95, 6);
    // Far lower tail, relative: Φ(−7) = 1.279812543885835e-12.
    expect(normalCdf(-7) / 1.279812543885835e-12).toBeCloseTo(1, 5);
    fc.assert(fc.property(fc.double({ min: -8, max: 8, noNaN: true }), (z) => Math.abs(normalCdf(z) + normalCdf(-z) - 1) < 1e-6));
  });

  it('every model: cdf and partial mean never decrease, and E[T | T <= c] <= c (property)', () => {
    const models = [documentedBound(86_400_000), logNormalCompletion(600_000, 3_600_000), empiricalCompletion([5_000, 60_000, 900_000, 7_200_000])];
    fc.assert(
      fc.property(fc.double({ min: 1, max: 1e8, noNaN: true }), fc.double({ min: 0, max: 1e8, noNaN: true }), (a, d) => {
        for (const m of models) {
          if (m.cdf(a + d) < m.cdf(a) || m.partialMean(a + d) < m.partialMean(a) - 1e-9) return false;
          if (m.cdf(a) > 0 && m.partialMean(a) / m.cdf(a) > a * (1 + 1e-6)) return false;
        }
        return true;
      }),
    );
  });
});
