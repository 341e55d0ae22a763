import { startRouter as startRouterProcess, type RouterProcess } from '../../bench/support/router-process';
import { armYaml, writeRoutingYaml } from '../../bench/support/routing-yaml';
import { kafkaBrokersString } from './env';

export { stopRouter, type RouterProcess } from '../../bench/support/router-process';

/**
 * Spawns the built router (`dist/`) as a real process, the way an operator runs it, on the test
 * broker. Tracing is off unless a suite points it at a Jaeger (test/tracing.e2e-spec.ts does);
 * the whole output is kept for assertions.
 */
export function startRouter(env: Record<string, string>, readyTimeoutMs = 60_000): Promise<RouterProcess> {
  return startRouterProcess({ env: { KAFKA_BROKERS: kafkaBrokersString(), OTEL_SDK_DISABLED: 'true', ...env }, readyTimeoutMs, outputCapChars: Infinity });
}

export interface TestArm {
  id: string;
  provider: 'openai' | 'anthropic';
  model: string;
  contextWindow?: number;
  totalMs?: number;
  policyGroup?: string;
  classes?: string[];
  /** USD per 1M tokens; defaults to $1 in / $2 out. */
  pricing?: { inputPer1M: number; outputPer1M: number };
}

/**
 * Writes a routing table pointing every provider at the given simulator. `extraYaml` is appended
 * as top-level sections (e.g. `resilience:`); without a `policy:` section the table uses the
 * static chain, so a suite can say which arm answers.
 */
export function routingTableFor(simUrl: string, arms: TestArm[], extraYaml = ''): string {
  const armLines = arms.flatMap((a) =>
    armYaml({
      ...a,
      pricing: a.pricing ?? { inputPer1M: 1, outputPer1M: 2 },
      contextWindow: a.contextWindow ?? 128000,
      connectMs: 1000,
      totalMs: a.totalMs ?? 20000,
    }),
  );
  return writeRoutingYaml('switchyard-e2e-', [
    'providers:',
    '  openai:',
    '    kind: openai',
    `    baseUrl: ${simUrl}/openai/v1`,
    '  anthropic:',
    '    kind: anthropic',
    `    baseUrl: ${simUrl}/anthropic`,
    'arms:',
    ...armLines,
    ...(extraYaml ? [extraYaml.trimEnd()] : []),
    // Suites that assert which arm answers use the ordered chain unless they choose a policy.
    ...(/^policy:/m.test(extraYaml) ? [] : ['policy: { selector: static-chain }']),
  ]);
}
