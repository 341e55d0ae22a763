// The live policies: each is a router configuration (routing table + what the client puts in the
// request), so baselines run through exactly the same Kafka, router and simulator path as Switchyard.
import { stringify } from 'yaml';
import type { Scenario, ScenarioArm } from '../policy/scenario';
import { apiOf, simModelOf } from './sim-config';

export const LIVE_POLICIES = ['switchyard', 'static-chain', 'simple-retry', 'round-robin', 'latency-cooldown', 'switchyard-hedged'] as const;
export type LivePolicy = (typeof LIVE_POLICIES)[number];

const SELECTOR: Record<LivePolicy, string> = {
  switchyard: 'thompson',
  // What-if: Switchyard with hedging on (off by default): a second arm after the first arm's P95.
  'switchyard-hedged': 'thompson',
  'static-chain': 'static-chain',
  'simple-retry': 'static-chain',
  'round-robin': 'round-robin',
  'latency-cooldown': 'latency-cooldown',
};

export function parsePolicies(list: string | undefined): LivePolicy[] {
  // Default: the baselines and Switchyard (what-if variants only when asked for).
  if (!list) return LIVE_POLICIES.filter((p) => p !== 'switchyard-hedged');
  const out: LivePolicy[] = [];
  for (const name of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    const p = LIVE_POLICIES.find((x) => x === name);
    if (!p) throw new Error(`--policies: unknown policy "${name}"; live policies: ${LIVE_POLICIES.join(', ')} (the oracle exists only in bench:policy)`);
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

/**
 * The routing table of one policy: every arm on the simulator, the scenario's prices (`priceOf`:
 * the prices in force at some scenario time, rewritten into the table as they change) and budgets.
 */
export function routingTableYaml(scenario: Scenario, simUrl: string, policy: LivePolicy, priceOf: (armIndex: number) => ScenarioArm['price'] = (i) => scenario.arms[i].price): string {
  const table: Record<string, unknown> = {
    providers: {
      'sim-openai': { kind: 'openai', baseUrl: `${simUrl}/openai/v1` },
      'sim-anthropic': { kind: 'anthropic', baseUrl: `${simUrl}/anthropic` },
    },
    arms: scenario.arms.map((a, i) => ({
      id: a.id,
      provider: apiOf(a) === 'anthropic' ? 'sim-anthropic' : 'sim-openai',
      model: simModelOf(a),
      pricing: { inputPer1M: priceOf(i).inputPer1M, outputPer1M: priceOf(i).outputPer1M },
      contextWindow: a.contextWindow,
      maxOutputTokens: a.maxOutputTokens,
      policyGroup: a.policyGroup,
      timeouts: { connectMs: 1000, totalMs: a.timeoutMs },
    })),
    policy: { selector: SELECTOR[policy] },
  };
  if (policy === 'simple-retry') {
    // The seed article's "simple retry": per-kind retries on one arm (Retry-After honoured), and
    // nothing else: no breaker, no shared 429 cooldown, no retry budget (fallback is ruled out by
    // routing.models in each request).
    table.resilience = {
      breaker: { consecutiveFailures: Number.MAX_SAFE_INTEGER, minimumCalls: Number.MAX_SAFE_INTEGER, maxCooldownMs: 0 },
      retryBudget: { ratio: 1e9, minRetriesPerSecond: 1e9 },
    };
  }
  if (policy === 'switchyard-hedged') table.resilience = { hedge: { enabled: true } };
  if (scenario.budget) table.budgets = scenario.budget;
  // What an answer is worth per class, as the in-process simulator's router is told (classValues);
  // without it a live router would weigh a $0.10 support answer by its objective's preset.
  const classes = Object.fromEntries(
    scenario.workload.classes
      .filter((c) => c.valueUsd !== undefined || c.latencyUsdPerSecond !== undefined)
      .map((c) => [c.name, { ...(c.valueUsd !== undefined ? { valueUsd: c.valueUsd } : {}), ...(c.latencyUsdPerSecond !== undefined ? { latencyUsdPerSecond: c.latencyUsdPerSecond } : {}) }]),
  );
  if (Object.keys(classes).length) table.classes = classes;
  return stringify(table);
}

/** Request `routing` options for a class under a policy. */
export function routingOptions(scenario: Scenario, policy: LivePolicy, c: Scenario['workload']['classes'][number]): Record<string, unknown> {
  return {
    objective: c.objective,
    latencySloMs: c.sloMs,
    deadlineMs: c.deadlineMs,
    ...(policy === 'simple-retry' ? { models: [scenario.arms[0].id], contentPolicyFallback: false } : c.contentPolicyFallback !== undefined ? { contentPolicyFallback: c.contentPolicyFallback } : {}),
  };
}
