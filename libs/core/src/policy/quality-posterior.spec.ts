import { SeededRandom } from '../ports/random';
import { Sampler } from '../stats/sampler';
import { DiscountedBeta } from './discounted-beta';
import { QualityPosterior } from './quality-posterior';
import { ShiftDetector } from './shift-detector';

const discounts = { check: 0.997, feedback: 0.99 };
const fresh = () => new QualityPosterior(new DiscountedBeta(19, 1), new DiscountedBeta(9.4, 0.6), new ShiftDetector(Math.log(1_000), 0.8, Math.log(100)));

describe('QualityPosterior', () => {
  it('learns check failures on every answer without letting passed checks inflate the feedback factor', () => {
    const q = fresh();
    for (let i = 0; i < 200; i++) q.observe(i % 10 === 0 ? 0 : 1, 'check', discounts);
    expect(q.checks.mean).toBeCloseTo(0.9, 1);
    expect(q.feedback.evidence).toBe(0);
    expect(q.mean).toBeCloseTo(q.checks.mean * (9.4 / 10), 6);
  });

  it('replaces the feedback evidence within a few dozen scores of a silent 18% drop (0.94 → 0.77)', () => {
    const q = fresh();
    const r = new SeededRandom(3);
    for (let i = 0; i < 300; i++) q.observe(r.next() < 0.94 ? 1 : 0, 'feedback', discounts);
    let detectedAfter = -1;
    for (let i = 0; i < 200 && detectedAfter < 0; i++) if (q.observe(r.next() < 0.77 ? 1 : 0, 'feedback', discounts)) detectedAfter = i + 1;
    expect(detectedAfter).toBeGreaterThan(0);
    expect(detectedAfter).toBeLessThan(120);
    expect(q.feedback.mean).toBeLessThan(0.85);
  });

  it('uses the prior mean, not a draw, for a factor that cannot be observed, and draws once it can', () => {
    const q = fresh();
    const sampler = new Sampler(new SeededRandom(1));
    const draws = new Set(Array.from({ length: 20 }, () => q.sample(sampler, { checks: false, feedback: false })));
    expect([...draws]).toEqual([q.mean]);
    expect(new Set(Array.from({ length: 20 }, () => q.sample(sampler, { checks: false, feedback: true }))).size).toBe(20);
    expect(q.lowerBound()).toBeLessThan(q.mean);
  });
});
