import { parseScenario } from './scenario';
import { newArmShares } from './metrics';
import { runPolicy, staticChain } from './simulate';
import { buildWorld } from './world';

const arm = (id: string, price: number, medianMs: number, extra = '') => `  - { id: ${id}, provider: p${id}, price: { inputPer1M: ${price}, outputPer1M: ${price * 4} }, latency: { medianMs: ${medianMs}, p95Ms: ${medianMs * 2} }${extra} }`;
const YAML = (events: string) => `
name: membership
duration: 4m
arms:
${arm('a', 0.5, 800)}
${arm('b', 0.6, 900)}
${arm('c', 0.1, 300)}
${arm('d', 0.4, 700)}
events:
${events}
workload:
  arrival: { process: poisson, ratePerSec: 4 }
  classes:
    - { name: chat, weight: 1, inputTokens: { median: 500, p95: 2000 }, outputTokens: { median: 200, p95: 600 }, sloMs: 3000 }
`;

describe('policy simulator: arms joining and leaving the routing table', () => {
  const scenario = parseScenario(YAML(`  - { type: arm-added, arm: c, atRequest: 300, chainPosition: first }
  - { type: arm-added, arm: d, atRequest: 300 }
  - { type: arm-removed, arm: b, atRequest: 500 }`));
  const world = buildWorld(scenario, 5);

  it('puts added arms where the operator would in the static chain', () => {
    expect(staticChain(scenario)).toEqual(['c', 'a', 'b', 'd']);
  });

  it('no policy uses an arm before it is added or after it is removed; the oracle and the static chain see the same table', async () => {
    for (const policy of ['switchyard', 'static-chain', 'latency-cooldown', 'oracle'] as const) {
      const { records } = await runPolicy(scenario, world, policy);
      const used = (from: number, to: number) => new Set(records.slice(from, to).flatMap((r) => [r.firstArm, r.servedArm]).filter((a) => a >= 0));
      expect(used(0, 300).has(2)).toBe(false);
      expect(used(0, 300).has(3)).toBe(false);
      // Requests that started before the removal may still finish on b (it drains), none after it.
      expect(records.slice(500).some((r) => r.firstArm === 1)).toBe(false);
      if (policy === 'static-chain') expect(records.slice(300).every((r) => r.firstArm === 2)).toBe(true);
      if (policy === 'oracle') expect(newArmShares(records, 2, 300).onboarding).toBeGreaterThan(0.9);
    }
  });

  it('refuses a scenario where every arm is added later, and a second arm-added for one arm', () => {
    const everyArm = YAML(['a', 'b', 'c', 'd'].map((id) => `  - { type: arm-added, arm: ${id}, atRequest: 10 }`).join('\n'));
    expect(() => parseScenario(everyArm)).toThrow(/at least one must be in the table from the start/);
    expect(() => parseScenario(YAML(`  - { type: arm-added, arm: c, atRequest: 10 }\n  - { type: arm-added, arm: c, atRequest: 20 }`))).toThrow(/at most one arm-added event per arm/);
  });
});
