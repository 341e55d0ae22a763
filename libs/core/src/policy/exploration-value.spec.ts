import { ClassTraffic, expectedGain, explorationWorth, type Lesson } from './exploration-value';

/** A success-like signal: mean m on n pseudo-observations, entering net value with weight $0.02. */
function lesson(m: number, n: number, perCall = 1): Lesson {
  return { variance: (0.02 * 0.02 * m * (1 - m)) / (n + 1), evidence: n, perCall };
}

describe('exploration value', () => {
  it('f(z) = zΦ(z) + φ(z): φ(0) at 0, towards 0 far below, towards z far above', () => {
    expect(expectedGain(0)).toBeCloseTo(1 / Math.sqrt(2 * Math.PI), 6);
    expect(expectedGain(-6)).toBeLessThan(1e-8);
    expect(expectedGain(6)).toBeCloseTo(6, 6);
    // Increasing: a belief closer to the best is worth more to learn.
    expect(expectedGain(-1)).toBeGreaterThan(expectedGain(-2));
  });

  it('an arm nobody knows is worth trying; the same gap on an arm known well is not', () => {
    const gap = 0.002;
    expect(explorationWorth([lesson(0.5, 2)], gap, 1_000)).toBeGreaterThan(0);
    expect(explorationWorth([lesson(0.9, 300)], gap, 1_000)).toBeLessThan(0);
  });

  it('is worth more the more traffic a lesson would serve, and nothing without a gap to close', () => {
    const l = [lesson(0.8, 30)];
    expect(explorationWorth(l, 0.002, 100)).toBeLessThan(explorationWorth(l, 0.002, 10_000));
    expect(explorationWorth(l, 0.002, 100)).toBeLessThan(0);
    expect(explorationWorth(l, 0.002, 100_000)).toBeGreaterThan(0);
  });

  it('learns a sparse signal at its rate: feedback on a tenth of calls teaches less per call', () => {
    const gap = 0.001;
    const often = explorationWorth([lesson(0.8, 10, 1)], gap, 500);
    const seldom = explorationWorth([lesson(0.8, 10, 0.1)], gap, 500);
    expect(seldom).toBeLessThan(often);
    // A signal no call can teach (perCall 0) gives no reason to explore.
    expect(explorationWorth([lesson(0.5, 0, 0)], gap, 1e9)).toBe(-Infinity);
  });
});

describe('ClassTraffic', () => {
  it('reads a steady rate as rate × horizon, from the first requests on', () => {
    const traffic = new ClassTraffic(600_000);
    let h = 0;
    // 2 requests per second for 5 s: already ≈ 1 200 over a 10-minute horizon.
    for (let t = 0; t <= 5_000; t += 500) h = traffic.add('chat', t);
    expect(h).toBeGreaterThan(1_000);
    expect(h).toBeLessThan(1_500);
    // And after an hour at that rate.
    for (let t = 5_500; t <= 3_600_000; t += 500) h = traffic.add('chat', t);
    expect(h).toBeGreaterThan(1_150);
    expect(h).toBeLessThan(1_250);
  });

  it('counts classes apart, and a class that went quiet expects less', () => {
    const traffic = new ClassTraffic(600_000);
    for (let t = 0; t <= 600_000; t += 500) traffic.add('busy', t);
    traffic.add('rare', 0);
    expect(traffic.add('rare', 600_000)).toBeLessThan(10);
    expect(traffic.add('busy', 1_800_000)).toBeLessThan(200);
  });
});
