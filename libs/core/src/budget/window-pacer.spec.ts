import { ManualClock } from '../testing/manual-clock';
import { windowBounds } from './budget-window';
import { WindowPacer } from './window-pacer';

const HOUR = Date.UTC(2026, 0, 1, 10, 0, 0);

/**
 * A tenant whose spend per second depends on the price of a dollar: `demandUsdPerS(1 + λ)`, e.g.
 * a valuable class that keeps a dear arm until the price is high and a cheap class that moves down
 * early. Steps `stepMs` at a time through `[from, to)`, updating λ as the selector would before
 * each decision; returns the spend and λ seen at each step.
 */
async function drive(clock: ManualClock, pacer: WindowPacer, capUsd: number, demandUsdPerS: (price: number, t: number) => number, opts: { to: number; stepMs?: number; usedUsd?: number }) {
  const stepMs = opts.stepMs ?? 1_000;
  let used = opts.usedUsd ?? 0;
  const trace: Array<{ t: number; used: number; lambda: number }> = [];
  while (clock.now() < opts.to) {
    const lambda = pacer.lambda('tenant:acme\u0000hour', 'hour', used, capUsd);
    const spend = Math.min(Math.max(0, capUsd - used), (demandUsdPerS(1 + lambda, clock.now()) * stepMs) / 1000);
    used += spend;
    trace.push({ t: clock.now(), used, lambda });
    await clock.advance(stepMs);
  }
  return { used, trace };
}

/** Spend per second at a price: $0.006/s for the valuable class until 1 + λ > 8, $0.004/s for the rest until 1 + λ > 2, $0.001/s served by cheap arms after that. */
const classes = (price: number) => (price < 8 ? 0.006 : 0.001) + (price < 2 ? 0.004 : 0.001);

describe('WindowPacer: the price of a dollar of one cap', () => {
  it('prices a binding cap so spend follows the window and reaches the cap near its end, not early', async () => {
    const clock = new ManualClock(HOUR);
    const pacer = new WindowPacer(clock);
    // Unpriced, the tenant would spend $36 in the hour; the cap is $20.
    const { used, trace } = await drive(clock, pacer, 20, classes, { to: HOUR + 3_600_000 });
    const at = (min: number) => trace.find((p) => p.t >= HOUR + min * 60_000)!.used;
    // Spend keeps close to an even pace through the window (the price is found within minutes)…
    for (const min of [15, 30, 45]) expect(Math.abs(at(min) / 20 - min / 60)).toBeLessThan(0.1);
    // …and the cap is all but spent at the end, not before the last minutes.
    expect(used).toBeGreaterThan(19.4);
    expect(at(55)).toBeLessThan(20 * 0.97);
    // Once found, the price keeps the cheap class on cheap arms, and the valuable class on its dear
    // arm most of the time (the plan needs it moved down ≈ 30% of the time).
    const late = trace.filter((p) => p.t > HOUR + 900_000).map((p) => 1 + p.lambda);
    expect(Math.min(...late)).toBeGreaterThan(2);
    expect(late.filter((p) => p >= 8).length / late.length).toBeLessThan(0.5);
  });

  it('stays at 0 while spend is below the plan (a cap that does not bind costs nothing)', async () => {
    const clock = new ManualClock(HOUR);
    const pacer = new WindowPacer(clock);
    const { trace } = await drive(clock, pacer, 100, classes, { to: HOUR + 1_800_000 });
    expect(Math.max(...trace.map((p) => p.lambda))).toBe(0);
  });

  it('plans a cap first seen mid-window over what is left of it, from what is already used', async () => {
    const clock = new ManualClock(HOUR + 1_800_000);
    const pacer = new WindowPacer(clock);
    // Set at half past with $6 of $20 used: $14 for the last 30 minutes, i.e. $0.0078/s, below the unpriced $0.01/s.
    const { used, trace } = await drive(clock, pacer, 20, classes, { to: HOUR + 3_600_000, usedUsd: 6 });
    expect(used).toBeGreaterThan(19.4);
    const at45 = trace.find((p) => p.t >= HOUR + 2_700_000)!.used;
    expect(Math.abs((at45 - 6) / 14 - 0.5)).toBeLessThan(0.08);
    expect(trace.at(-1)!.lambda).toBeGreaterThan(0);
  });

  it('after a burst that overspends, lowers the rate of the rest of the window instead of refusing at its end', async () => {
    const clock = new ManualClock(HOUR);
    const pacer = new WindowPacer(clock);
    // Ten minutes of five times the traffic, then the usual traffic.
    const burst = (price: number, t: number) => classes(price) * (t < HOUR + 600_000 ? 5 : 1);
    const { used, trace } = await drive(clock, pacer, 20, burst, { to: HOUR + 3_600_000 });
    const at = (min: number) => trace.find((p) => p.t >= HOUR + min * 60_000)!.used;
    expect(at(10)).toBeLessThan(20 * 0.5);
    expect(at(58)).toBeLessThan(20);
    expect(used).toBeGreaterThan(19.4);
  });

  it('prices a cap it has just met within seconds when traffic runs far ahead of the plan, not minutes', async () => {
    const clock = new ManualClock(HOUR);
    const pacer = new WindowPacer(clock);
    // Ten times the plan's rate ($20 an hour): a price found only after minutes would cost a fifth of the cap.
    const { trace } = await drive(clock, pacer, 20, () => 0.0556, { to: HOUR + 30_000 });
    expect(1 + trace.at(-1)!.lambda).toBeGreaterThan(20);
    expect(trace.at(-1)!.used).toBeLessThan(20 * 0.1);
  });

  it('starts the next window instance from the mean price of the last one', async () => {
    const clock = new ManualClock(HOUR);
    const pacer = new WindowPacer(clock);
    const { trace } = await drive(clock, pacer, 20, classes, { to: HOUR + 3_600_000 });
    const mean = trace.reduce((s, p) => s + p.lambda, 0) / trace.length;
    const next = pacer.lambda('tenant:acme\u0000hour', 'hour', 0, 20);
    expect(next).toBeGreaterThan(0);
    expect(Math.log1p(next)).toBeCloseTo(trace.reduce((s, p) => s + Math.log1p(p.lambda), 0) / trace.length, 1);
    expect(next).toBeLessThan(Math.max(...trace.map((p) => p.lambda)));
    expect(mean).toBeGreaterThan(0);
  });

  it('keeps what calls in flight have reserved for the end of the window: the price holds there, and rises only when the cap is spent', async () => {
    const clock = new ManualClock(HOUR);
    const pacer = new WindowPacer(clock);
    const key = 'global\u0000hour';
    pacer.lambda(key, 'hour', 0, 20, 2);
    // On plan for half an hour, then a jump into the reserve ($2 held by calls in flight): the price rises…
    for (let m = 1; m <= 30; m++) {
      await clock.advance(60_000);
      pacer.lambda(key, 'hour', m * 0.3, 20, 2);
    }
    await clock.advance(60_000);
    pacer.lambda(key, 'hour', 18.2, 20, 2);
    const held = pacer.current(key);
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThan(1_000);
    // …then, with only the reserve left, it holds while those calls settle and new ones reserve…
    for (let s = 0; s < 30; s++) {
      await clock.advance(1_000);
      expect(pacer.lambda(key, 'hour', 18 + (s % 3) * 0.5, 20, 2)).toBeCloseTo(held, 12);
    }
    // …and climbs once the cap is spent.
    await clock.advance(1_000);
    expect(pacer.lambda(key, 'hour', 20, 20, 0)).toBeGreaterThan(held);
  });

  it('keeps one price per cap, rising while the cap is spent, and never above maxLambda', async () => {
    const clock = new ManualClock(HOUR);
    const pacer = new WindowPacer(clock, { maxLambda: 3 });
    pacer.lambda('a', 'minute', 0, 1);
    for (let s = 0; s < 20; s++) {
      await clock.advance(1_000);
      pacer.lambda('a', 'minute', 1, 1);
    }
    expect(pacer.current('a')).toBeCloseTo(3, 10);
    expect(pacer.lambda('b', 'minute', 0, 1)).toBe(0);
  });

  it('knows the UTC bounds of every window', () => {
    const t = Date.UTC(2026, 1, 28, 23, 59, 30);
    expect(windowBounds('minute', t)).toEqual({ start: Date.UTC(2026, 1, 28, 23, 59), end: Date.UTC(2026, 2, 1, 0, 0) });
    expect(windowBounds('day', t)).toEqual({ start: Date.UTC(2026, 1, 28), end: Date.UTC(2026, 2, 1) });
    expect(windowBounds('month', t)).toEqual({ start: Date.UTC(2026, 1, 1), end: Date.UTC(2026, 2, 1) });
  });
});
