import { ManualClock } from '../testing/manual-clock';
import { CheapestDemand } from './cheapest-demand';

const HOUR = Date.UTC(2026, 0, 1, 10, 0, 0);

describe('CheapestDemand', () => {
  it('learns the cheapest-only spend per second of a steady stream within a few time constants', async () => {
    const clock = new ManualClock(HOUR);
    const demand = new CheapestDemand(clock);
    // $0.002 a second for 20 minutes (the time constant is 3 minutes of an hour).
    for (let s = 0; s < 1_200; s++) {
      demand.add('acme', 'hour', 0.002);
      await clock.advance(1_000);
    }
    expect(demand.rate('acme', 'hour')).toBeCloseTo(0.002, 4);
    expect(demand.rate('other', 'hour')).toBe(0);
    // Forecast over its own memory (3 minutes), not the 40 minutes left: $0.36 at $0.002/s.
    expect(demand.exceeds('acme', 'hour', 0.3)).toBe(true);
    expect(demand.exceeds('acme', 'hour', 0.4)).toBe(false);
  });

  it('forgets a stream that stopped', async () => {
    const clock = new ManualClock(HOUR);
    const demand = new CheapestDemand(clock);
    for (let s = 0; s < 600; s++) {
      demand.add('acme', 'hour', 0.002);
      await clock.advance(1_000);
    }
    await clock.advance(1_800_000);
    expect(demand.rate('acme', 'hour')).toBeLessThan(0.002 * 0.001);
  });
});
