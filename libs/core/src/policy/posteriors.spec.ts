import fc from 'fast-check';
import { SeededRandom } from '../ports/random';
import { Sampler, Z95 } from '../stats/sampler';
import { ArmPosterior } from './arm-posterior';
import { DiscountedBeta } from './discounted-beta';
import { LatencyShiftDetector, ShiftDetector } from './shift-detector';
import { NormalGamma } from './normal-gamma';
import { DEFAULT_PRIORS } from './priors';

const settings = { discount: 0.997, stalenessDecayPerMinute: 0.9, stalenessGraceMs: 60_000, tokenEwmaWeight: 0.1, shiftDetection: false as const };

describe('DiscountedBeta', () => {
  it('never falls below its prior and never holds more than 1/(1−γ) observations of evidence', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.1, max: 10, noNaN: true }),
        fc.double({ min: 0.1, max: 10, noNaN: true }),
        fc.double({ min: 0.5, max: 0.9999, noNaN: true }),
        fc.array(fc.boolean(), { maxLength: 500 }),
        (a0, b0, gamma, outcomes) => {
          const p = new DiscountedBeta(a0, b0);
          for (const ok of outcomes) {
            p.observe(ok ? 1 : 0, gamma);
            expect(p.alpha).toBeGreaterThanOrEqual(a0);
            expect(p.beta).toBeGreaterThanOrEqual(b0);
            expect(p.evidence).toBeLessThanOrEqual(1 / (1 - gamma) + 1e-9);
          }
        },
      ),
    );
  });

  it('is the exact conjugate update when γ = 1', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 200 }), (outcomes) => {
        const p = new DiscountedBeta(2, 3);
        outcomes.forEach((ok) => p.observe(ok ? 1 : 0, 1));
        const s = outcomes.filter(Boolean).length;
        expect(p.alpha).toBeCloseTo(2 + s, 9);
        expect(p.beta).toBeCloseTo(3 + outcomes.length - s, 9);
      }),
    );
  });

  it('has a mean within a few points of a stationary success rate', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.05, max: 0.95, noNaN: true }), fc.integer(), (rate, seed) => {
        const random = new SeededRandom(seed);
        const p = new DiscountedBeta(1, 1);
        for (let i = 0; i < 3_000; i++) p.observe(random.next() < rate ? 1 : 0, 0.997);
        // Memory ≈ 333 observations: standard error ≤ 0.5/√333·√(1+γ)/... ≈ 0.03; allow 4 SE.
        expect(Math.abs(p.mean - rate)).toBeLessThan(0.1);
      }),
      { numRuns: 50, seed: 1 },
    );
  });

  it('forgets: after a regime change the mean follows within ~2 memories', () => {
    const p = new DiscountedBeta(1, 1);
    for (let i = 0; i < 2_000; i++) p.observe(1, 0.997);
    for (let i = 0; i < 700; i++) p.observe(0, 0.997);
    expect(p.mean).toBeLessThan(0.15);
  });

  it('fading keeps the mean and widens the variance', () => {
    const p = new DiscountedBeta(1, 1);
    for (let i = 0; i < 100; i++) p.observe(i % 4 === 0 ? 0 : 1, 0.997);
    const { mean, variance } = p;
    p.fade(0.1);
    expect(p.mean).toBeCloseTo(mean, 1);
    expect(p.variance).toBeGreaterThan(variance * 5);
  });

  it('samples with the posterior mean', () => {
    const p = new DiscountedBeta(1, 1);
    for (let i = 0; i < 200; i++) p.observe(i % 5 === 0 ? 0 : 1, 1);
    const sampler = new Sampler(new SeededRandom(3));
    let sum = 0;
    for (let i = 0; i < 20_000; i++) sum += p.sample(sampler);
    expect(sum / 20_000).toBeCloseTo(p.mean, 2);
  });
});

describe('NormalGamma', () => {
  const prior = { mean: Math.log(1_000), kappa: 0.1, shape: 2, rate: 0.5 };

  it('matches the batch conjugate formulas when γ = 1', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 12, noNaN: true }), { minLength: 1, maxLength: 100 }), (xs) => {
        const ng = new NormalGamma(prior);
        xs.forEach((x) => ng.observe(x, 1));
        const n = xs.length;
        const mean = xs.reduce((a, b) => a + b, 0) / n;
        const ss = xs.reduce((a, x) => a + (x - mean) ** 2, 0);
        const post = ng.posterior();
        expect(post.kappa).toBeCloseTo(prior.kappa + n, 9);
        expect(post.mean).toBeCloseTo((prior.kappa * prior.mean + n * mean) / (prior.kappa + n), 9);
        expect(post.shape).toBeCloseTo(prior.shape + n / 2, 9);
        expect(post.rate).toBeCloseTo(prior.rate + ss / 2 + (prior.kappa * n * (mean - prior.mean) ** 2) / (2 * (prior.kappa + n)), 6);
      }),
    );
  });

  it('recovers the median and P95 of a log-normal latency stream', () => {
    fc.assert(
      fc.property(fc.double({ min: 20, max: 20_000, noNaN: true }), fc.double({ min: 0.1, max: 1, noNaN: true }), fc.integer(), (median, sigma, seed) => {
        const env = new Sampler(new SeededRandom(seed));
        const ng = new NormalGamma(prior);
        for (let i = 0; i < 2_000; i++) ng.observe(env.normal(Math.log(median), sigma), 0.997);
        const est = ng.pointEstimate();
        expect(Math.abs(Math.log(est.medianMs / median))).toBeLessThan(0.1);
        const trueP95 = median * Math.exp(Z95 * sigma);
        expect(Math.abs(Math.log(est.p95Ms / trueP95))).toBeLessThan(0.2);
      }),
      { numRuns: 40, seed: 5 },
    );
  });

  it('draws P95s centred on the true P95 once it has data, and is deterministic under a seed', () => {
    const env = new Sampler(new SeededRandom(9));
    const ng = new NormalGamma(prior);
    for (let i = 0; i < 500; i++) ng.observe(env.normal(Math.log(400), 0.4), 0.997);
    const draw = (seed: number) => {
      const s = new Sampler(new SeededRandom(seed));
      const out: number[] = [];
      for (let i = 0; i < 2_000; i++) {
        const { mu, tau } = ng.sample(s);
        out.push(Math.exp(mu + Z95 / Math.sqrt(tau)));
      }
      return out;
    };
    const a = draw(1);
    expect(draw(1)).toEqual(a);
    const mean = a.reduce((x, y) => x + y, 0) / a.length;
    expect(Math.abs(mean / (400 * Math.exp(Z95 * 0.4)) - 1)).toBeLessThan(0.08);
  });

  it('caps warm-start evidence without moving the mean', () => {
    const ng = new NormalGamma(prior);
    for (let i = 0; i < 300; i++) ng.observe(5 + (i % 3) * 0.1, 1);
    const capped = ng.copyCapped(20);
    expect(capped.weight).toBeCloseTo(20, 9);
    expect(capped.posterior().mean).toBeCloseTo((prior.kappa * prior.mean + 20 * 5.1) / (prior.kappa + 20), 6);
  });
});

describe('ShiftDetector', () => {
  it('fires after four straight failures of a 95% arm', () => {
    const d = new ShiftDetector();
    for (let i = 0; i < 3; i++) expect(d.observe(false, 0.95)).toBeUndefined();
    expect(d.observe(false, 0.95)).toEqual({ successes: 0, failures: 4 });
  });

  it('fires after two straight successes of an arm believed down', () => {
    const d = new ShiftDetector();
    expect(d.observe(true, 0.01)).toBeUndefined();
    expect(d.observe(true, 0.01)).toEqual({ successes: 2, failures: 0 });
  });

  it('rarely fires on a stationary arm', () => {
    const random = new SeededRandom(4);
    let alarms = 0;
    const d = new ShiftDetector();
    for (let i = 0; i < 50_000; i++) if (d.observe(random.next() < 0.97, 0.97)) alarms++;
    expect(alarms).toBeLessThanOrEqual(3);
  });
});

describe('LatencyShiftDetector', () => {
  const lognormal = (sampler: Sampler, medianMs: number, sigma: number) => Math.log(medianMs) + sigma * sampler.normal(0, 1);

  it('alarms within a few observations of a ×6 latency shift, both ways, and returns the post-change segment', () => {
    const d = new LatencyShiftDetector();
    const sampler = new Sampler(new SeededRandom(3));
    const [mean, sd] = [Math.log(700), 0.57];
    let seen = 0;
    let segment;
    while (!segment && seen < 50) {
      segment = d.observe(lognormal(sampler, 4_200, 0.57), mean, sd);
      seen++;
    }
    expect(seen).toBeLessThanOrEqual(6);
    expect(Math.exp(segment!.mean)).toBeGreaterThan(2_000);
    seen = 0;
    segment = undefined;
    while (!segment && seen < 50) {
      segment = d.observe(lognormal(sampler, 700, 0.57), Math.log(4_200), sd);
      seen++;
    }
    expect(seen).toBeLessThanOrEqual(6);
    expect(Math.exp(segment!.mean)).toBeLessThan(1_500);
  });

  it('rarely alarms on stationary log-normal latency (< 1 per 2 000 observations), and one outlier never does', () => {
    const d = new LatencyShiftDetector();
    const sampler = new Sampler(new SeededRandom(4));
    let alarms = 0;
    for (let i = 0; i < 20_000; i++) if (d.observe(lognormal(sampler, 700, 0.57), Math.log(700), 0.57)) alarms++;
    expect(alarms).toBeLessThan(10);
    const fresh = new LatencyShiftDetector();
    expect(fresh.observe(Math.log(700 * 1_000), Math.log(700), 0.57)).toBeUndefined();
  });
});

describe('ArmPosterior change detection', () => {
  const withLatency = { ...settings, latencyShiftDetection: { threshold: 8, slack: 0.5 } };
  const ok = (latencyMs: number) => ({ success: true, latencyMs, inputTokens: 10, outputTokens: 10 });

  it('resets the latency evidence to the recent observations when ln latency shifts (slow, then fast again)', () => {
    const p = ArmPosterior.fromPriors(DEFAULT_PRIORS, withLatency);
    const sampler = new Sampler(new SeededRandom(5));
    const draw = (median: number) => Math.exp(Math.log(median) + 0.5 * sampler.normal(0, 1));
    for (let i = 0; i < 300; i++) p.observe(ok(draw(700)), i);
    let shifted = 0;
    for (let i = 0; i < 8 && !shifted; i++) if (p.observe(ok(draw(4_200)), 300 + i)?.latency) shifted = i + 1;
    expect(shifted).toBeGreaterThan(0);
    expect(p.latency.pointEstimate().medianMs).toBeGreaterThan(2_500);
    expect(p.latency.weight).toBeLessThan(10);
    for (let i = 0; i < 30; i++) p.observe(ok(draw(4_200)), 320 + i);
    shifted = 0;
    for (let i = 0; i < 8 && !shifted; i++) if (p.observe(ok(draw(700)), 400 + i)?.latency) shifted = i + 1;
    expect(shifted).toBeGreaterThan(0);
    expect(p.latency.pointEstimate().medianMs).toBeLessThan(1_200);
  });

  it('without latencyShiftDetection forgets a latency regime only through the discount', () => {
    const p = ArmPosterior.fromPriors(DEFAULT_PRIORS, settings);
    for (let i = 0; i < 300; i++) p.observe(ok(700), i);
    for (let i = 0; i < 8; i++) expect(p.observe(ok(4_200), 300 + i)).toBeUndefined();
    expect(p.latency.pointEstimate().medianMs).toBeLessThan(800);
  });

  it('adoptShift copies the source evidence for the parts that changed (capped) and leaves the rest', () => {
    const source = ArmPosterior.fromPriors(DEFAULT_PRIORS, withLatency);
    const target = ArmPosterior.fromPriors(DEFAULT_PRIORS, withLatency);
    for (let i = 0; i < 100; i++) target.observe({ ...ok(700), success: i % 2 === 0 }, i);
    for (let i = 0; i < 5; i++) source.observe(ok(300), i);
    const latencyBefore = target.latency.pointEstimate().medianMs;
    target.adoptShift(source, { success: true, latency: false }, 20, 100);
    expect(target.success.mean).toBeCloseTo(source.success.mean, 9);
    expect(target.success.evidence).toBeCloseTo(source.success.evidence, 9);
    expect(target.success.evidence).toBeLessThan(5);
    expect(target.latency.pointEstimate().medianMs).toBe(latencyBefore);
    target.adoptShift(source, { success: false, latency: true }, 2, 100);
    expect(target.latency.weight).toBeCloseTo(2, 9);
    expect(target.latency.pointEstimate().medianMs).toBeLessThan(450);
  });
});

describe('ArmPosterior', () => {
  it('warm-starts a class from the global posterior with at most the cap of evidence', () => {
    const global = ArmPosterior.fromPriors(DEFAULT_PRIORS, settings);
    for (let i = 0; i < 1_000; i++) global.observe({ success: i % 10 !== 0, latencyMs: 300, inputTokens: 10, outputTokens: 20 }, i);
    const cls = ArmPosterior.warmStart(global, 20);
    expect(cls.success.evidence).toBeCloseTo(20, 6);
    const rate = (b: { alpha: number; evidence: number }) => (b.alpha - DEFAULT_PRIORS.successAlpha) / b.evidence;
    expect(rate(cls.success)).toBeCloseTo(rate(global.success), 9);
    expect(cls.latency.weight).toBeCloseTo(20, 6);
    expect(cls.tokens.output).toBe(20);
  });

  it('inflates an idle arm: no fading within the grace period, then decayPerMinute per idle minute', () => {
    const p = ArmPosterior.fromPriors(DEFAULT_PRIORS, { ...settings, stalenessGraceMs: 60_000 });
    p.observe({ success: true, latencyMs: 100, inputTokens: 1, outputTokens: 1 }, 0);
    expect(p.fadeAt(60_000)).toBe(1);
    expect(p.fadeAt(60_000 + 10 * 60_000)).toBeCloseTo(0.9 ** 10, 9);
  });
});
