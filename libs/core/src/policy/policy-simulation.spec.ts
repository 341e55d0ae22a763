import { resolveValue } from '../value/net-value';
import { SeededRandom } from '../ports/random';
import { makeArm } from '../testing/fake-provider';
import { ManualClock } from '../testing/manual-clock';
import { LatencySelector } from './baselines/latency-selector';
import { OracleSelector } from './testing/oracle-selector';
import { RandomSelector } from './baselines/random-selector';
import { RoundRobinSelector } from './baselines/round-robin-selector';
import { changesAt, oracleTruth, simulate, type ArmTruth, type SyntheticArm } from './testing/simulation';
import { ThompsonSelector } from './thompson-selector';

const healthy: ArmTruth = { successRate: 0.97, latencyMedianMs: 600 };
const good: ArmTruth = { successRate: 0.9, latencyMedianMs: 700 };
const poor: ArmTruth = { successRate: 0.7, latencyMedianMs: 900 };
const down: ArmTruth = { successRate: 0, latencyMedianMs: 50 };

function thompson(clock: ManualClock, seed = 42) {
  return new ThompsonSelector({ clock, random: new SeededRandom(seed) });
}

function steady(id: string, truth: ArmTruth, overrides = {}): SyntheticArm {
  return { arm: makeArm(id, overrides), truth: () => truth };
}

describe('ThompsonSelector in simulation (seeded, virtual clock)', () => {
  it('settles on the best arm when nothing changes', async () => {
    const clock = new ManualClock(0);
    const arms = [steady('a', poor), steady('best', healthy), steady('c', good)];
    const sim = await simulate({ selector: thompson(clock), arms, clock, requests: 2_000 });
    expect(sim.share('best', 1_000, 2_000)).toBeGreaterThan(0.9);
  });

  it('moves at least 95% of traffic away from an arm within 10 requests of an abrupt outage', async () => {
    const clock = new ManualClock(0);
    const outageAt = 1_500;
    const arms = [{ arm: makeArm('primary'), truth: changesAt(outageAt, healthy, down) }, steady('backup', good), steady('other', poor)];
    const sim = await simulate({ selector: thompson(clock), arms, clock, requests: 2_500 });
    expect(sim.share('primary', outageAt - 300, outageAt)).toBeGreaterThan(0.8);
    expect(sim.share('primary', outageAt + 10, outageAt + 1_000)).toBeLessThan(0.05);
    expect(sim.share('primary', outageAt, outageAt + 10)).toBeLessThan(0.6);
  });

  it('notices a silent quality drop (errors creep in, no outage) and recovers its success rate', async () => {
    const clock = new ManualClock(0);
    const dropAt = 1_500;
    const arms = [{ arm: makeArm('primary'), truth: changesAt(dropAt, healthy, { successRate: 0.6, latencyMedianMs: 600 }) }, steady('backup', good)];
    const sim = await simulate({ selector: thompson(clock), arms, clock, requests: 3_000 });
    expect(sim.share('primary', dropAt - 300, dropAt)).toBeGreaterThan(0.8);
    expect(sim.share('backup', dropAt + 100, 3_000)).toBeGreaterThan(0.9);
    expect(sim.successRate(dropAt + 100, 3_000)).toBeGreaterThan(0.85);
  });

  it('comes back to a recovered arm (exploration floor and staleness re-try it)', async () => {
    const clock = new ManualClock(0);
    const primary = (now: number, step: number) => (step < 500 ? healthy : step < 1_500 ? down : healthy);
    const arms = [{ arm: makeArm('primary'), truth: primary }, steady('backup', good)];
    const sim = await simulate({ selector: thompson(clock), arms, clock, requests: 4_000 });
    expect(sim.share('primary', 1_000, 1_500)).toBeLessThan(0.05);
    expect(sim.share('primary', 3_000, 4_000)).toBeGreaterThan(0.85);
  });

  it('prefers cost per success over price under `cheapest`: 2× price at 100% beats half price at 50%', async () => {
    const clock = new ManualClock(0);
    const cheap = steady('cheap', { successRate: 0.5, latencyMedianMs: 600 }, { pricing: { inputPer1M: 1, outputPer1M: 2 } });
    const reliable = steady('reliable', { successRate: 1, latencyMedianMs: 600 }, { pricing: { inputPer1M: 2, outputPer1M: 4 } });
    const sim = await simulate({ selector: thompson(clock), arms: [cheap, reliable], clock, requests: 1_500, request: { routing: { objective: 'cheapest' } } });
    // Equal true cost per success; success decides. Thompson keeps probing the close competitor a little.
    expect(sim.share('reliable', 500, 1_500)).toBeGreaterThan(0.8);
  });

  it('under `cheapest` picks the cheaper of two equally reliable arms, under `quality` the more reliable one', async () => {
    const arms = [
      steady('cheap', { successRate: 0.85, latencyMedianMs: 600 }, { pricing: { inputPer1M: 0.5, outputPer1M: 1 } }),
      steady('premium', { successRate: 0.99, latencyMedianMs: 600 }, { pricing: { inputPer1M: 5, outputPer1M: 15 } }),
    ];
    const cheapest = await simulate({ selector: thompson(new ManualClock(0)), arms, clock: new ManualClock(0), requests: 1_500, request: { routing: { objective: 'cheapest' } } });
    expect(cheapest.share('cheap', 500, 1_500)).toBeGreaterThan(0.9);
    const clock = new ManualClock(0);
    const quality = await simulate({ selector: thompson(clock), arms, clock, requests: 1_500, request: { routing: { objective: 'quality' } } });
    expect(quality.share('premium', 500, 1_500)).toBeGreaterThan(0.85);
  });

  it('under `fastest` picks the arm with the lower P95', async () => {
    const clock = new ManualClock(0);
    const arms = [steady('slow', { successRate: 0.97, latencyMedianMs: 1_500 }), steady('fast', { successRate: 0.95, latencyMedianMs: 300 })];
    const sim = await simulate({ selector: thompson(clock), arms, clock, requests: 1_000, request: { routing: { objective: 'fastest' } } });
    expect(sim.share('fast', 300, 1_000)).toBeGreaterThan(0.9);
  });

  it('treats a latency SLO as part of success: an arm that is reliable but too slow loses', async () => {
    const clock = new ManualClock(0);
    const arms = [steady('slow', { successRate: 0.99, latencyMedianMs: 3_000 }), steady('fast', { successRate: 0.93, latencyMedianMs: 400 })];
    const sim = await simulate({ selector: thompson(clock), arms, clock, requests: 1_000, request: { routing: { objective: 'quality', latencySloMs: 2_000 } } });
    expect(sim.share('fast', 300, 1_000)).toBeGreaterThan(0.9);
  });

  it('replays the same decisions for the same seeds', async () => {
    const run = async () => {
      const clock = new ManualClock(0);
      const sim = await simulate({ selector: thompson(clock, 7), arms: [steady('a', good), steady('b', poor)], clock, requests: 300 });
      return sim.steps.map((s) => s.decision.chosen.id).join('');
    };
    expect(await run()).toBe(await run());
  });
});

describe('baseline selectors in the same simulation', () => {
  it('round-robin and random spread traffic regardless of outcomes', async () => {
    const arms = [steady('a', healthy), steady('b', down)];
    let clock = new ManualClock(0);
    const rr = await simulate({ selector: new RoundRobinSelector(), arms, clock, requests: 100 });
    expect(rr.share('b')).toBe(0.5);
    clock = new ManualClock(0);
    const random = await simulate({ selector: new RandomSelector(new SeededRandom(1)), arms, clock, requests: 1_000 });
    expect(random.share('b')).toBeGreaterThan(0.4);
    expect(random.share('b')).toBeLessThan(0.6);
  });

  it('latency-based routing follows the lowest recent mean and cools an arm down for 5 s on a 429', async () => {
    const clock = new ManualClock(0);
    const limited: ArmTruth = { successRate: 0, latencyMedianMs: 50, failureKind: 'rate_limited' };
    const arms = [{ arm: makeArm('fast'), truth: changesAt(200, { successRate: 1, latencyMedianMs: 200 }, limited) }, steady('slow', { successRate: 1, latencyMedianMs: 800 })];
    const sim = await simulate({ selector: new LatencySelector({ clock }), arms, clock, requests: 400 });
    expect(sim.share('fast', 20, 200)).toBeGreaterThan(0.95);
    // It returns to 'fast' once per 5 s cooldown (every 50 requests at 100 ms).
    expect(sim.share('fast', 200, 400)).toBeCloseTo(4 / 200, 2);
  });

  it('latency-based routing cools an arm down when more than half its calls in the last minute failed', async () => {
    const clock = new ManualClock(0);
    const arms = [steady('fast', { ...down, failureKind: 'server_error' }), steady('slow', { successRate: 1, latencyMedianMs: 800 })];
    const sim = await simulate({ selector: new LatencySelector({ clock }), arms, clock, requests: 100 });
    expect(sim.share('fast')).toBe(2 / 100);
  });

  it('the oracle picks the truly best arm from the first request and follows a change at once', async () => {
    const clock = new ManualClock(0);
    const arms = [{ arm: makeArm('primary'), truth: changesAt(100, healthy, down) }, steady('backup', good)];
    const oracle = new OracleSelector(oracleTruth(arms, (now) => Math.round(now / 100)), clock, (r) => resolveValue(r.routing.objective));
    const sim = await simulate({ selector: oracle, arms, clock, requests: 200 });
    expect(sim.share('primary', 0, 100)).toBe(1);
    expect(sim.share('backup', 100, 200)).toBe(1);
  });
});
