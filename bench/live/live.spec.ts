import { routingTableSchema } from '@switchyard/contracts';
import { parse } from 'yaml';
import { normalizeConfig } from '../../apps/provider-sim/src';
import { loadScenario, parseScenario } from '../policy/scenario';
import type { RequestRecord } from '../policy/simulate';
import { buildWorld } from '../policy/world';
import { LIVE_POLICIES, parsePolicies, routingOptions, routingTableYaml } from './policies';
import { firstAttemptSplit } from './report';
import { scaleScenario } from './scale';
import { seedRow } from './seed-table';
import { priceAt, simConfigFor } from './sim-config';

const YAML = `
name: tiny
duration: 10m
arms:
  - { id: a, provider: openai, price: { inputPer1M: 0.15, outputPer1M: 0.6 }, latency: { medianMs: 500, p95Ms: 1500 }, failureRate: 0.02, contentPolicyRate: 0.05 }
  - { id: b, provider: anthropic, price: { inputPer1M: 1, outputPer1M: 5 }, latency: { medianMs: 700, p95Ms: 2000 }, rateLimit: { rps: 2, retryAfterMs: 3000 } }
events:
  - { type: outage, arm: a, start: 2m, end: 4m }
  - { type: latency-spike, arm: a, start: 3m, end: 5m, multiplier: 6 }
  - { type: outage, provider: anthropic, start: 6m, end: 7m, mode: timeout }
  - { type: price-change, arm: b, at: 8m, inputPer1M: 0.5, outputPer1M: 2.5 }
workload:
  arrival: { process: poisson, ratePerSec: 2, profile: [{ at: 5m, multiplier: 2 }] }
  classes:
    - { name: chat, weight: 1, inputTokens: { median: 500, p95: 2000 }, outputTokens: { median: 200, p95: 600 }, sloMs: 3000, contentPolicyFallback: true }
budget: { global: { hour: 4 } }
`;

describe('bench:live building blocks', () => {
  const scenario = parseScenario(YAML);

  it('compresses event times, run length, the rate profile and the feedback delay, not latencies or rates', () => {
    const s = scaleScenario(scenario, 4);
    expect(s.duration).toBe(150_000);
    expect(s.feedback.delay).toBe(scenario.feedback.delay / 4);
    expect(s.events[0]).toMatchObject({ start: 30_000, end: 60_000 });
    expect(s.events[3]).toMatchObject({ at: 120_000 });
    expect(s.workload.arrival).toMatchObject({ ratePerSec: 2, profile: [{ at: 75_000, multiplier: 2 }] });
    expect(s.arms[0].latency).toEqual(scenario.arms[0].latency);
    expect(scaleScenario(scenario, 1)).toBe(scenario);
    expect(() => scaleScenario(scenario, 0)).toThrow(/time-scale/);
  });

  it('turns the scenario into a valid simulator config with a phase at every state change', () => {
    const world = buildWorld(scenario, 1);
    const config = normalizeConfig(simConfigFor(scenario, world));
    expect(config.models.map((m) => [m.name, m.api])).toEqual([['a', 'openai'], ['b', 'anthropic']]);
    expect(config.models[0].faults).toMatchObject({ error5xx: 0.02, contentPolicy: 0.05, contentPolicyMode: 'error', outage: false, rateLimit: false });
    expect(config.models[1].faults.rateLimit).toEqual({ rps: 2, burst: 2, retryAfterS: 3 });
    const a = config.phases.filter((p) => p.model === 'a').map((p) => [p.atMs, p.patch?.faults?.outage, p.patch?.latency?.multiplier]);
    // outage 2-4 min, spike 3-5 min (overlapping): every phase carries the full state at that instant.
    expect(a).toEqual([[120_000, true, 1], [180_000, true, 6], [240_000, false, 6], [300_000, false, 1]]);
    const b = config.phases.filter((p) => p.model === 'b').map((p) => [p.atMs, p.patch?.faults?.hang, p.patch?.faults?.outage]);
    expect(b).toEqual([[360_000, 1, false], [420_000, 0, false]]);
    expect(priceAt(scenario, world, 1, 479_999)).toEqual({ inputPer1M: 1, outputPer1M: 5 });
    expect(priceAt(scenario, world, 1, 480_000)).toEqual({ inputPer1M: 0.5, outputPer1M: 2.5 });
  });

  it('gives an arm with a heavy tail the same tail in the simulator', () => {
    const heavy = loadScenario(`${__dirname}/../scenarios/heavy-tail.yaml`.replace('/dist/', '/'));
    const config = normalizeConfig(simConfigFor(heavy, buildWorld(heavy, 1)));
    heavy.arms.forEach((arm, i) => expect(config.models[i].latency.tail).toEqual(arm.latency.tail));
    expect(heavy.arms.some((a) => a.latency.tail)).toBe(true);
  });

  it('writes a routing table the router accepts for every live policy', () => {
    for (const policy of LIVE_POLICIES) {
      const table = routingTableSchema.parse(parse(routingTableYaml(scenario, 'http://127.0.0.1:4010', policy)));
      expect(table.arms.map((a) => [a.id, a.provider])).toEqual([['a', 'sim-openai'], ['b', 'sim-anthropic']]);
      expect(table.budgets).toEqual({ global: { hour: 4 } });
      expect(table.policy.selector).toBe(policy.startsWith('switchyard') ? 'thompson' : policy === 'simple-retry' ? 'static-chain' : policy);
      expect(table.resilience === undefined).toBe(policy !== 'simple-retry' && policy !== 'switchyard-hedged');
    }
    expect(routingOptions(scenario, 'simple-retry', scenario.workload.classes[0])).toMatchObject({ models: ['a'], contentPolicyFallback: false });
    expect(routingOptions(scenario, 'switchyard', scenario.workload.classes[0])).toMatchObject({ contentPolicyFallback: true, latencySloMs: 3000 });
    expect(() => parsePolicies('switchyard,oracle')).toThrow(/oracle exists only in bench:policy/);
    expect(routingTableSchema.parse(parse(routingTableYaml(scenario, 'http://127.0.0.1:4010', 'switchyard'))).classes).toEqual({});
  });

  it('tells the router what each class is worth, as the in-process simulator tells its router', () => {
    const valued = loadScenario(`${__dirname}/../scenarios/silent-quality-drop.yaml`.replace('/dist/', '/'));
    const table = routingTableSchema.parse(parse(routingTableYaml(valued, 'http://127.0.0.1:4010', 'switchyard')));
    const declared = valued.workload.classes.filter((c) => c.valueUsd !== undefined);
    expect(declared.length).toBeGreaterThan(0);
    for (const c of declared) expect(table.classes[c.name]).toMatchObject({ valueUsd: c.valueUsd, ...(c.latencyUsdPerSecond !== undefined ? { latencyUsdPerSecond: c.latencyUsdPerSecond } : {}) });
  });

  it('measures the traffic split over requests whose first attempt is known', () => {
    const rec = (firstArm: number): RequestRecord => ({ index: 0, at: 0, ok: true, success: true, latencyMs: 1, costUsd: 0, firstArm, servedArm: firstArm, utility: 0, netValue: 0 });
    expect(firstAttemptSplit(scenario, [rec(0), rec(0), rec(1), rec(-1)])).toEqual({ a: 0.6667, b: 0.3333 });
    expect(firstAttemptSplit(scenario, [])).toEqual({ a: 0, b: 0 });
  });

  it('builds seed-table rows from the records of simple retry and Switchyard', () => {
    const file = `${__dirname}/../scenarios/primary-outage-5min.yaml`.replace('/dist/', '/');
    const outage = loadScenario(file);
    const world = buildWorld(outage, 1);
    const w = world.outageWindows[0];
    const rec = (at: number, ok: boolean): RequestRecord => ({ index: 0, at, ok, success: ok, latencyMs: 900, costUsd: 0, firstArm: 0, servedArm: ok ? 0 : -1, utility: 0, netValue: 0, ...(ok ? {} : { failure: 'server_error' }) });
    const simple = [rec(w.start + 1, false), rec(w.start + 2, false), rec(w.start + 3, true), rec(0, true)];
    const sw = [rec(w.start + 1, true), rec(w.start + 2, true), rec(w.start + 3, true), rec(0, true)];
    const row = seedRow('primary-outage-5min', world, simple, sw, 1200)!;
    expect(row.simpleRetry).toBeCloseTo(66.667, 2);
    expect(row.switchyard).toBe(0);
    expect(row.reductionPct).toBe(100);
    expect(row.notes[0]).toMatch(/1200 ms/);
    expect(seedRow('stationary', world, simple, sw, null)).toBeUndefined();
  });
});
