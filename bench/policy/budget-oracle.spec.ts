import { budgetRefusals, priceOf, runOracle } from './budget-oracle';
import { capLines } from './budget-lines';
import { parseScenario } from './scenario';
import { runPolicy } from './simulate';
import { buildWorld, T0 } from './world';

// Two arms and two classes: agent steps worth $0.50 are far better on the dear arm (95% vs 60%
// acceptable), routine requests worth $0.004 are best on the cheap one. Unconstrained, the oracle
// spends ≈ $3 in these 3 minutes, mostly on agent steps; the tenant's hourly cap is $1.20.
const YAML = (budget: string) => `
name: knapsack
duration: 3m
arms:
  - { id: cheap, provider: a, price: { inputPer1M: 0.15, outputPer1M: 0.60 }, latency: { medianMs: 600, p95Ms: 1500 }, quality: 0.6, qualityByClass: { routine: 0.9 } }
  - { id: dear, provider: b, price: { inputPer1M: 3.0, outputPer1M: 15.0 }, latency: { medianMs: 900, p95Ms: 2200 }, quality: 0.95 }
workload:
  arrival: { process: poisson, ratePerSec: 5 }
  classes:
    - { name: agent, weight: 0.2, tenant: acme, inputTokens: { median: 3000, p95: 9000 }, outputTokens: { median: 500, p95: 1500 }, maxTokens: 2048, objective: quality, valueUsd: 0.5, latencyUsdPerSecond: 0.001, sloMs: 20000 }
    - { name: routine, weight: 0.8, tenant: acme, inputTokens: { median: 500, p95: 1500 }, outputTokens: { median: 100, p95: 300 }, maxTokens: 512, objective: balanced, valueUsd: 0.004, sloMs: 4000 }
${budget}
`;
const netValue = (records: ReadonlyArray<{ netValue: number }>) => records.reduce((s, r) => s + r.netValue, 0);

describe('bench:policy budget-aware oracle', () => {
  const scenario = parseScenario(YAML('budget: { defaultTenant: { hour: 1.2 } }'));
  const world = buildWorld(scenario, 3);

  it('prices a dollar of each cap line it counts against: 1 + the tenant line λ + the global line λ', () => {
    const both = parseScenario(YAML('budget: { defaultTenant: { hour: 1.2 }, global: { minute: 0.5 } }'));
    const lines = capLines(both, 'acme', T0 + 90_000).map((l) => l.key);
    expect(lines).toEqual(['tenant:acme hour:2026-01-01T00', 'global minute:2026-01-01T00:01']);
    const price = priceOf(both, new Map([[lines[0], 0.5], [lines[1], 2], ['global minute:2026-01-01T00:02', 7]]));
    expect(price('acme', T0 + 90_000)).toBeCloseTo(3.5);
    expect(price('acme', T0 + 150_000)).toBeCloseTo(8.5);
  });

  it('keeps spend within the binding cap and beats every fixed arm and the one-step oracle', async () => {
    const uncapped = await runPolicy(scenario, world, 'oracle', {}, { oraclePrice: () => 1, hardCaps: false });
    const unconstrainedSpend = [...uncapped.spendByWindow.values()][0];
    expect(unconstrainedSpend).toBeGreaterThan(1.5 * 1.2);

    const oracle = await runOracle(scenario, world);
    expect(oracle.kind).toBe('priced');
    expect(Object.keys(oracle.lambdas)).toEqual(['tenant:acme hour:2026-01-01T00']);
    expect(oracle.run.budgetOvershootPct).toBe(0);
    const spent = oracle.run.spendByWindow.get('tenant:acme hour:2026-01-01T00')!;
    expect(spent).toBeLessThanOrEqual(1.2);
    // The budget is used, not hoarded.
    expect(spent).toBeGreaterThan(0.9 * 1.2);

    const mine = netValue(oracle.run.records);
    for (const fixedArm of [0, 1]) expect(mine).toBeGreaterThan(netValue((await runPolicy(scenario, world, { fixedArm })).records));
    expect(mine).toBeGreaterThan(netValue((await runPolicy(scenario, world, 'oracle')).records));
  }, 60_000);

  it('spends the budget on the requests worth most per dollar: agent steps on the dear arm, routine ones never', async () => {
    const { run } = await runOracle(scenario, world);
    const agentOnDear = run.records.filter((r) => world.requests[r.index].classIndex === 0 && r.servedArm === 1).length;
    const agents = run.records.filter((r) => world.requests[r.index].classIndex === 0).length;
    expect(agentOnDear / agents).toBeGreaterThan(0.3);
    expect(run.records.some((r) => world.requests[r.index].classIndex === 1 && r.servedArm === 1)).toBe(false);
  }, 60_000);

  it('is the one-step oracle, unchanged, when no cap binds', async () => {
    const loose = parseScenario(YAML('budget: { defaultTenant: { hour: 100 } }'));
    const w = buildWorld(loose, 3);
    const oracle = await runOracle(loose, w);
    expect(oracle.kind).toBe('pacer');
    expect(budgetRefusals(oracle.run)).toBe(0);
    expect(oracle.run.records).toEqual((await runPolicy(loose, w, 'oracle')).records);
  }, 60_000);
});
