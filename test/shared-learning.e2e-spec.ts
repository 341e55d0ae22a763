import type { RouterProcess } from './support/router-process';
import { useStack } from './support/stack';

interface RoutingView {
  arms: Array<{ arm: string; policy: { observations: number; successMean: number } | null }>;
}

/**
 * Replicas learn from each other's traffic through `switchyard.outcomes`: a new replica warms up
 * from the recent window, and a live replica learns from outcomes another one produced.
 */
describe('shared learning across replicas', () => {
  const stack = useStack({
    prefix: 'learning',
    seed: 8,
    models: [
      { name: 'gpt-4o-mini', api: 'openai', latency: { medianMs: 30, p95Ms: 60 }, faults: { error5xx: 1, error5xxStatuses: [503] } },
      { name: 'claude-haiku-4-5', api: 'anthropic', latency: { medianMs: 30, p95Ms: 60 } },
    ],
    arms: [
      { id: 'down', provider: 'openai', model: 'gpt-4o-mini' },
      { id: 'up', provider: 'anthropic', model: 'claude-haiku-4-5' },
    ],
    tableYaml: ['policy: { selector: thompson }', 'resilience:', '  breaker: { consecutiveFailures: 1000, minimumCalls: 1000 }', '  retry: { perKind: { server_error: { maxAttempts: 1 } } }'].join('\n'),
    extraTopics: (t) => [`${t.tag}.outcomes`],
  });
  const { topics } = stack;
  const outcomesTopic = `${topics.tag}.outcomes`;
  const env = { TOPIC_OUTCOMES: outcomesTopic, KAFKA_SESSION_TIMEOUT_MS: '8000', KAFKA_HEARTBEAT_INTERVAL_MS: '1000' };
  let first: RouterProcess | undefined;
  let second: RouterProcess | undefined;

  async function routing(router: RouterProcess): Promise<Map<string, { observations: number; successMean: number }>> {
    const view = (await (await fetch(`http://127.0.0.1:${router.port}/health/routing`)).json()) as RoutingView;
    return new Map(view.arms.map((a) => [a.arm, a.policy ?? { observations: 0, successMean: NaN }]));
  }

  async function send(prefix: string, n: number): Promise<void> {
    const ids = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
    await stack.publish(ids);
    await stack.responses.waitFor((c) => ids.every((id) => c.byKey().has(id)), 60_000, prefix);
  }

  async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
    const started = Date.now();
    while (!(await check())) {
      if (Date.now() - started > 30_000) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('warms a new replica from the recent outcomes and keeps both learning from all traffic', async () => {
    first = await stack.startRouter(env);
    await send('solo', 30);
    const learnt = await routing(first);
    expect(learnt.get('down')!.observations).toBeGreaterThan(0);

    // A replica that has served nothing yet already knows what the first one learnt.
    second = await stack.startRouter(env);
    await eventually(async () => ((await routing(second!)).get('down')?.observations ?? 0) > 0, 'the second replica to replay outcomes');
    const warmed = await routing(second);
    expect(warmed.get('down')!.successMean).toBeLessThan(warmed.get('up')!.successMean);

    // Live: whatever either replica serves, both see it.
    const before = (await routing(first)).get('up')!.observations + (await routing(first)).get('down')!.observations;
    await send('pair', 40);
    await eventually(async () => {
      const view = await routing(first!);
      return view.get('up')!.observations + view.get('down')!.observations >= before + 35;
    }, 'the first replica to learn from every answer of the pair wave');
  });
});
