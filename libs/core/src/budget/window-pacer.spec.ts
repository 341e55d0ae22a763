import { ManualClock } from '../testing/manual-clock';
import { windowBounds } from './budget-window';
import { WindowPacer } from './window-pacer';

describe('WindowPacer', () => {
  const HOUR = Date.UTC(2026, 0, 1, 10, 0, 0);

  it('raises the cost multiplier while spend runs ahead of an even pace, and lowers it while behind', async () => {
    const clock = new ManualClock(HOUR);
    const pacer = new WindowPacer(clock, { gain: 0.5 });
    // 10 minutes in (1/6 of the hour) with half the cap spent: far ahead of pace.
    await clock.advance(600_000);
    pacer.lambda('k', 'hour', 0, 10);
    const lambdas: number[] = [];
    for (let s = 0; s < 30; s++) {
      await clock.advance(1_000);
      lambdas.push(pacer.lambda('k', 'hour', 5, 10));
    }
    expect(lambdas[29]).toBeGreaterThan(lambdas[0]);
    expect(lambdas[29]).toBeCloseTo(30 * 0.5 * (0.5 - 1 / 6), 0);
    // Spend stops while time goes on (to 50 minutes into the hour): behind pace, λ falls back to 0, never below.
    for (let s = 0; s < 40; s++) {
      await clock.advance(60_000);
      pacer.lambda('k', 'hour', 5, 10);
    }
    expect(pacer.lambda('k', 'hour', 5, 10)).toBe(0);
  });

  it('keeps one multiplier per line and caps it', async () => {
    const clock = new ManualClock(HOUR);
    const pacer = new WindowPacer(clock, { gain: 100, maxLambda: 3 });
    pacer.lambda('a', 'minute', 0, 1);
    await clock.advance(30_000);
    expect(pacer.lambda('a', 'minute', 1, 1)).toBe(3);
    expect(pacer.lambda('b', 'minute', 0, 1)).toBe(0);
  });

  it('knows the UTC bounds of every window', () => {
    const t = Date.UTC(2026, 1, 28, 23, 59, 30);
    expect(windowBounds('minute', t)).toEqual({ start: Date.UTC(2026, 1, 28, 23, 59), end: Date.UTC(2026, 2, 1, 0, 0) });
    expect(windowBounds('day', t)).toEqual({ start: Date.UTC(2026, 1, 28), end: Date.UTC(2026, 2, 1) });
    expect(windowBounds('month', t)).toEqual({ start: Date.UTC(2026, 1, 1), end: Date.UTC(2026, 2, 1) });
  });
});
