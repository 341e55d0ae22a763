import fc from 'fast-check';
import { SeededRandom } from '../ports/random';
import { normalCdf, Sampler } from './sampler';

function moments(draw: () => number, n: number): { mean: number; variance: number } {
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const x = draw();
    sum += x;
    sumSq += x * x;
  }
  const mean = sum / n;
  return { mean, variance: sumSq / n - mean * mean };
}

describe('Sampler', () => {
  it('draws standard normals with mean 0 and variance 1', () => {
    const s = new Sampler(new SeededRandom(1));
    const m = moments(() => s.standardNormal(), 50_000);
    expect(Math.abs(m.mean)).toBeLessThan(0.02);
    expect(Math.abs(m.variance - 1)).toBeLessThan(0.03);
  });

  it('draws gammas whose mean and variance match shape/rate and shape/rate² (including shape < 1)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.2, max: 400, noNaN: true }), fc.double({ min: 0.05, max: 20, noNaN: true }), fc.integer(), (shape, rate, seed) => {
        const s = new Sampler(new SeededRandom(seed));
        const n = 20_000;
        const m = moments(() => s.gamma(shape, rate), n);
        const mean = shape / rate;
        const sd = Math.sqrt(shape) / rate;
        // 5 standard errors of the mean; variance within 15%.
        expect(Math.abs(m.mean - mean)).toBeLessThan((5 * sd) / Math.sqrt(n));
        expect(Math.abs(m.variance / (sd * sd) - 1)).toBeLessThan(0.15);
      }),
      { numRuns: 25, seed: 7 },
    );
  });

  it('draws betas whose mean is a/(a+b) and which stay inside [0, 1]', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.3, max: 300, noNaN: true }), fc.double({ min: 0.3, max: 300, noNaN: true }), fc.integer(), (a, b, seed) => {
        const s = new Sampler(new SeededRandom(seed));
        const n = 10_000;
        let sum = 0;
        let lo = Infinity;
        let hi = -Infinity;
        for (let i = 0; i < n; i++) {
          const x = s.beta(a, b);
          lo = Math.min(lo, x);
          hi = Math.max(hi, x);
          sum += x;
        }
        expect(lo).toBeGreaterThanOrEqual(0);
        expect(hi).toBeLessThanOrEqual(1);
        const mean = a / (a + b);
        const sd = Math.sqrt((a * b) / ((a + b) ** 2 * (a + b + 1)));
        expect(Math.abs(sum / n - mean)).toBeLessThan((5 * sd) / Math.sqrt(n) + 1e-9);
      }),
      { numRuns: 25, seed: 11 },
    );
  });

  it('is deterministic under a seed', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const a = new Sampler(new SeededRandom(seed));
        const b = new Sampler(new SeededRandom(seed));
        for (let i = 0; i < 50; i++) {
          expect(a.gamma(2.5, 3)).toBe(b.gamma(2.5, 3));
          expect(a.beta(3, 0.7)).toBe(b.beta(3, 0.7));
          expect(a.normal(1, 2)).toBe(b.normal(1, 2));
        }
      }),
      { numRuns: 50 },
    );
  });

  it('refuses a non-positive gamma shape instead of looping forever', () => {
    expect(() => new Sampler(new SeededRandom(1)).gamma(0)).toThrow(RangeError);
  });
});

describe('normalCdf', () => {
  it('matches known values', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.6448536)).toBeCloseTo(0.95, 6);
    expect(normalCdf(-1.959964)).toBeCloseTo(0.025, 6);
  });

  it('is monotone', () => {
    fc.assert(fc.property(fc.double({ min: -8, max: 8, noNaN: true }), fc.double({ min: 0, max: 4, noNaN: true }), (z, d) => normalCdf(z) <= normalCdf(z + d) + 1e-12));
  });
});
