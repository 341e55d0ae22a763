import fc from 'fast-check';
import { SeededRandom } from '../ports/random';
import { ManualClock } from '../testing/manual-clock';
import { DDSketch } from './dd-sketch';
import { Sampler } from './sampler';
import { SlidingSketch } from './sliding-sketch';
import { RollingCount } from './rolling-count';

function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))];
}

describe('DDSketch', () => {
  it('answers every quantile within 1% relative error of the exact sample quantile', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.5, max: 600_000, noNaN: true }), { minLength: 1, maxLength: 400 }), fc.constantFrom(0, 0.5, 0.9, 0.95, 0.99, 1), (values, q) => {
        const sketch = new DDSketch();
        values.forEach((v) => sketch.add(v));
        const exact = exactQuantile([...values].sort((a, b) => a - b), q);
        const estimate = sketch.quantile(q)!;
        expect(Math.abs(estimate - exact) / exact).toBeLessThanOrEqual(0.01 + 1e-9);
      }),
      { numRuns: 300, seed: 3 },
    );
  });

  it('reads P50/P95/P99 of a log-normal latency stream within 1%', () => {
    const s = new Sampler(new SeededRandom(5));
    const sketch = new DDSketch();
    const values: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const v = Math.exp(s.normal(Math.log(800), 0.5));
      values.push(v);
      sketch.add(v);
    }
    values.sort((a, b) => a - b);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = exactQuantile(values, q);
      expect(Math.abs(sketch.quantile(q)! - exact) / exact).toBeLessThanOrEqual(0.01);
    }
    expect(sketch.count).toBe(20_000);
  });

  it('merges exactly: merge(a, b) answers like one sketch fed both streams', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 1, max: 1e5, noNaN: true })), fc.array(fc.double({ min: 1, max: 1e5, noNaN: true })), (xs, ys) => {
        const a = new DDSketch();
        const b = new DDSketch();
        const both = new DDSketch();
        xs.forEach((x) => (a.add(x), both.add(x)));
        ys.forEach((y) => (b.add(y), both.add(y)));
        a.merge(b);
        expect(a.count).toBe(both.count);
        for (const q of [0, 0.25, 0.5, 0.95, 0.99, 1]) expect(a.quantile(q)).toBe(both.quantile(q));
      }),
      { numRuns: 200, seed: 9 },
    );
  });

  it('is empty until fed, and counts zeros', () => {
    const sketch = new DDSketch();
    expect(sketch.quantile(0.5)).toBeUndefined();
    sketch.add(0);
    sketch.add(0);
    sketch.add(10);
    expect(sketch.quantile(0.5)).toBe(0);
    expect(sketch.quantile(1)).toBeCloseTo(10, 5);
  });

  it('bounds its memory by collapsing the lowest buckets, keeping the top quantiles', () => {
    const sketch = new DDSketch({ maxBuckets: 100 });
    for (let v = 1e-3; v < 1e6; v *= 1.01) sketch.add(v);
    expect(Math.abs(sketch.quantile(0.99)! / exactQuantile(logGrid(), 0.99) - 1)).toBeLessThan(0.011);
  });
});

function logGrid(): number[] {
  const values: number[] = [];
  for (let v = 1e-3; v < 1e6; v *= 1.01) values.push(v);
  return values;
}

describe('SlidingSketch', () => {
  it('forgets an old regime after two windows', async () => {
    const clock = new ManualClock(0);
    const sketch = new SlidingSketch(clock, 60_000);
    for (let i = 0; i < 100; i++) sketch.add(100);
    expect(sketch.quantile(0.95)).toBeCloseTo(100, 0);
    await clock.advance(61_000);
    for (let i = 0; i < 100; i++) sketch.add(1_000);
    expect(sketch.count).toBe(200);
    await clock.advance(60_000);
    sketch.add(1_000);
    expect(sketch.quantile(0.05)).toBeGreaterThan(980);
  });
});

describe('RollingCount', () => {
  it('counts per key over the last window only', async () => {
    const clock = new ManualClock(0);
    const counts = new RollingCount(clock, 60_000);
    counts.increment('a');
    await clock.advance(30_000);
    counts.increment('a');
    counts.increment('b');
    expect(counts.get('a')).toBe(2);
    expect(counts.total()).toBe(3);
    await clock.advance(31_000);
    expect(counts.get('a')).toBe(1);
    await clock.advance(60_000);
    expect(counts.total()).toBe(0);
  });
});
