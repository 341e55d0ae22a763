import type { ArmConfig } from '@switchyard/core';
import { seedMetrics } from './metrics';
import { parseScenario } from './scenario';
import { countingExploration, type Exploration, type PosteriorSelector, type RequestRecord } from './simulate';
import { eventTimes, STATIONARY_AFTER_MS, stationaryAt } from './stationary';
import { buildWorld, T0 } from './world';

const scenario = parseScenario(`
name: events
duration: 20m
arms:
  - { id: a, provider: pa, price: { inputPer1M: 0.1, outputPer1M: 0.4 }, latency: { medianMs: 500, p95Ms: 1000 } }
  - { id: b, provider: pb, price: { inputPer1M: 0.2, outputPer1M: 0.8 }, latency: { medianMs: 600, p95Ms: 1200 } }
events:
  - { type: outage, arm: a, start: 5m, end: 6m }
  - { type: price-change, arm: b, at: 15m, inputPer1M: 0.3, outputPer1M: 1.2 }
  - { type: arm-removed, arm: b, atRequest: 100 }
workload:
  arrival: { process: poisson, ratePerSec: 2 }
  classes:
    - { name: chat, weight: 1, inputTokens: { median: 500, p95: 2000 }, outputTokens: { median: 200, p95: 600 }, sloMs: 3000 }
`);

describe('bench:policy stationary stretches', () => {
  const world = buildWorld(scenario, 1);

  it('lists the run start, each window start and end, price changes and table changes as events', () => {
    expect(eventTimes(scenario, world)).toEqual([0, world.requests[100].at, 300_000, 360_000, 900_000].sort((x, y) => x - y));
  });

  it('judges a decision stationary only once no event happened in the last STATIONARY_AFTER_MS', () => {
    const stationary = stationaryAt([0, 300_000, 360_000]);
    expect(STATIONARY_AFTER_MS).toBe(180_000);
    expect(stationary(179_999)).toBe(false);
    expect(stationary(180_000)).toBe(true);
    expect(stationary(300_000)).toBe(false);
    expect(stationary(539_999)).toBe(false);
    expect(stationary(540_000)).toBe(true);
  });
});

describe('bench:policy report measures', () => {
  const arms = [{ id: 'a' }, { id: 'b' }] as ArmConfig[];

  it('counts first-attempt decisions away from the posterior-mean choice, over the run and in stationary stretches', () => {
    let now = 0;
    let pick = 0;
    // Its posterior mean prefers a; it picks a, b, a, b, …
    const selector: PosteriorSelector = {
      name: 'fake',
      posteriorMeanChoice: () => 'a',
      select: (_ctx, eligible) => ({ chosen: eligible[pick++ % 2], candidates: [], reason: '', exploration: false }),
    };
    const counts: Exploration = { decisions: 0, explored: 0, flagged: 0, stationaryDecisions: 0, stationaryExplored: 0 };
    const clock = { now: () => now, sleep: () => Promise.resolve() };
    const counted = countingExploration(selector, counts, (t) => t >= 1_000, clock);
    const ctx = (tried: string[]) => ({ request: {} as never, tried, clock });
    for (const t of [0, 0, 1_000, 1_000, 2_000]) {
      now = T0 + t;
      counted.select(ctx([]), arms);
    }
    // A fallback decision is not a first attempt.
    counted.select(ctx(['a']), arms);
    expect(counts).toEqual({ decisions: 5, explored: 2, flagged: 0, stationaryDecisions: 3, stationaryExplored: 1 });
    const metrics = seedMetrics({ records: [record(0)], budgetOvershootPct: 0, exploration: counts }, undefined, buildWorld(scenario, 1));
    expect(metrics.explorationShare).toBeCloseTo(2 / 5);
    expect(metrics.stationaryExplorationShare).toBeCloseTo(1 / 3);
  });

  it('reports the share of requests refused for budget, and no exploration share for a policy without a posterior', () => {
    const records = [record(0), record(1, 'budget_exceeded'), record(2, 'server_error'), record(3, 'budget_exceeded')];
    const metrics = seedMetrics({ records, budgetOvershootPct: 0 }, undefined, buildWorld(scenario, 1));
    expect(metrics.budgetRefusedShare).toBeCloseTo(0.5);
    expect(metrics.stationaryExplorationShare).toBeNull();
  });
});

function record(index: number, failure?: string): RequestRecord {
  return { index, at: index * 1_000, ok: !failure, success: !failure, latencyMs: 500, costUsd: 0.001, firstArm: 0, servedArm: failure ? -1 : 0, utility: 0, netValue: 0, ...(failure ? { failure } : {}) };
}
