import { sampleLatencyMs } from './latency';
import { mulberry32 } from './prng';

describe('log-normal latency', () => {
  it('has the configured median and P95', () => {
    const rng = mulberry32(9);
    const spec = { medianMs: 400, p95Ms: 1200, multiplier: 1 };
    const xs = Array.from({ length: 40_000 }, () => sampleLatencyMs(spec, 1, rng(), rng())).sort((a, b) => a - b);
    expect(xs[Math.floor(xs.length * 0.5)]).toBeGreaterThan(380);
    expect(xs[Math.floor(xs.length * 0.5)]).toBeLessThan(420);
    expect(xs[Math.floor(xs.length * 0.95)]).toBeGreaterThan(1140);
    expect(xs[Math.floor(xs.length * 0.95)]).toBeLessThan(1260);
  });

  it('puts the tail share of calls at the tail multiplier (a heavy tail the log-normal misses)', () => {
    const rng = mulberry32(11);
    const spec = { medianMs: 100, p95Ms: 100, multiplier: 1, tail: { share: 0.06, multiplier: 12 } };
    const xs = Array.from({ length: 20_000 }, () => sampleLatencyMs(spec, 1, rng(), rng(), rng()));
    const slow = xs.filter((x) => x === 1_200).length / xs.length;
    expect(slow).toBeGreaterThan(0.05);
    expect(slow).toBeLessThan(0.07);
    expect(xs.every((x) => x === 100 || x === 1_200)).toBe(true);
    expect(sampleLatencyMs({ medianMs: 100, p95Ms: 100, multiplier: 1 }, 1, 0.3, 0.7, 0)).toBe(100);
  });

  it('applies multiplier and scale; median 0 is instant; p95 = median is constant', () => {
    expect(sampleLatencyMs({ medianMs: 100, p95Ms: 100, multiplier: 5 }, 2, 0.3, 0.7)).toBe(1000);
    expect(sampleLatencyMs({ medianMs: 0, p95Ms: 0, multiplier: 1 }, 1, 0.3, 0.7)).toBe(0);
    expect(sampleLatencyMs({ medianMs: 100, p95Ms: 500, multiplier: 1 }, 0, 0.3, 0.7)).toBe(0);
  });
});
