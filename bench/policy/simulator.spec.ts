import { EventClock } from './event-clock';
import { parseScenario, ScenarioError } from './scenario';
import { runPolicy } from './simulate';
import { buildWorld } from './world';

const YAML = `
name: tiny
duration: 90s
arms:
  - id: a
    provider: pa
    price: { inputPer1M: 0.15, outputPer1M: 0.6 }
    latency: { medianMs: 500, p95Ms: 1500 }
    failureRate: 0.02
    contentPolicyRate: 0.05
  - id: b
    provider: pb
    price: { inputPer1M: 0.25, outputPer1M: 1.25 }
    latency: { medianMs: 700, p95Ms: 2000 }
    rateLimit: { rps: 2 }
events:
  - { type: outage, arm: a, start: 30s, end: 60s }
workload:
  arrival: { process: poisson, ratePerSec: 4 }
  classes:
    - { name: chat, weight: 1, inputTokens: { median: 500, p95: 2000 }, outputTokens: { median: 200, p95: 600 }, sloMs: 3000, contentPolicyFallback: true }
`;

describe('policy simulator', () => {
  const scenario = parseScenario(YAML);

  it('is deterministic under a seed', async () => {
    const a = await runPolicy(scenario, buildWorld(scenario, 7), 'switchyard');
    const b = await runPolicy(scenario, buildWorld(scenario, 7), 'switchyard');
    expect(a.records.length).toBeGreaterThan(200);
    expect(b.records).toEqual(a.records);
    const c = await runPolicy(scenario, buildWorld(scenario, 8), 'switchyard');
    expect(c.records).not.toEqual(a.records);
  });

  it('gives every policy the same arrivals and per-request draws (common random numbers)', async () => {
    const world = buildWorld(scenario, 3);
    expect(buildWorld(scenario, 3)).toEqual(world);
    const runs = await Promise.all((['switchyard', 'static-chain', 'simple-retry', 'oracle'] as const).map((p) => runPolicy(scenario, world, p)));
    for (const run of runs) {
      expect(run.records.map((r) => [r.index, r.at])).toEqual(world.requests.map((r) => [r.index, r.at]));
    }
    // The world is not consumed or changed by a run.
    expect(buildWorld(scenario, 3)).toEqual(world);
    // Policies differ in what they do with the same requests.
    expect(runs[2].records.filter((r) => !r.ok).length).toBeGreaterThan(runs[1].records.filter((r) => !r.ok).length);
  });

  it('names the field in validation errors', () => {
    const bad = YAML.replace('p95Ms: 1500', 'p95Ms: 100').replace('arm: a,', 'arm: zz,');
    expect(() => parseScenario(bad)).toThrow(ScenarioError);
    try {
      parseScenario(bad);
    } catch (err) {
      expect((err as Error).message).toContain('arms.0.latency.p95Ms: p95Ms must be ≥ medianMs');
      expect((err as Error).message).toContain('events.0.arm: unknown arm "zz"');
    }
  });

  it('the event clock jumps to the next timer and honours aborts', async () => {
    const clock = new EventClock(0);
    const seen: number[] = [];
    const ac = new AbortController();
    void clock.sleep(50).then(() => seen.push(clock.now()));
    void clock.sleep(10).then(async () => {
      seen.push(clock.now());
      await clock.sleep(5);
      seen.push(clock.now());
      ac.abort('stop');
    });
    const aborted = clock.sleep(1_000_000, ac.signal).catch((r) => `aborted:${r}`);
    expect(await clock.run()).toBe(50);
    expect(seen).toEqual([10, 15, 50]);
    expect(await aborted).toBe('aborted:stop');
  });
});
