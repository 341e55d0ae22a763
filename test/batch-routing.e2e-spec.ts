import { request } from './support/kafka-io';
import { stopRouter } from './support/router-process';
import { useStack } from './support/stack';

/**
 * Issue 24 end to end: requests that may wait go to the provider's batch API (provider-sim's
 * OpenAI Files + Batch), chosen per request; a batch that expires is rescued live before the
 * deadline; a router killed -9 while a batch is open resumes it after a restart, and every answer
 * is published exactly once.
 */
describe('batch routing', () => {
  const stack = useStack({
    prefix: 'batch',
    seed: 24,
    models: [
      { name: 'gpt-4o-mini', api: 'openai', latency: { medianMs: 50, p95Ms: 100 } },
      { name: 'claude-haiku-4-5', api: 'anthropic', latency: { medianMs: 50, p95Ms: 100 } },
    ],
    sim: { batch: { completion: { medianMs: 1_500, p95Ms: 2_500 } } },
    // Without a policy the table is a static chain: `only` first, `claude` for requests that name it.
    arms: [
      { id: 'only', provider: 'openai', model: 'gpt-4o-mini' },
      { id: 'claude', provider: 'anthropic', model: 'claude-haiku-4-5' },
    ],
    // A deadline-tolerant class: waiting costs it nothing, so half the price wins under `allow`.
    tableYaml: ['classes:', '  nightly:', '    batch: allow', '    latencyUsdPerSecond: 0'].join('\n'),
  });
  const batchEnv = () => ({
    BATCH_ENABLED: 'true',
    TOPIC_BATCH_LEDGER: `${stack.topics.tag}.batches`,
    TOPIC_BATCH_REQUESTS: `${stack.topics.tag}.batch-requests`,
    BATCH_MAX_AGE_MS: '300',
    BATCH_POLL_INTERVAL_MS: '300',
    BATCH_LIVE_BUDGET_MS: '5000',
    // What the simulator's batches take, as the prior: `allow` can see that batch is in time.
    BATCH_COMPLETION_MEDIAN_MS: '1500',
    BATCH_COMPLETION_P95_MS: '2500',
    // A killed member holds its partitions until its session times out; keep the restart short.
    KAFKA_SESSION_TIMEOUT_MS: '8000',
    KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
  });
  const publish = (items: Array<{ id: string } & Record<string, unknown>>) =>
    stack.producer.send({ topic: stack.topics.requests, messages: items.map(({ id, ...rest }) => ({ key: id, value: JSON.stringify(request(id, rest)) })) });
  const json = (id: string) => stack.responses.byKey().get(id)?.[0]?.json as Record<string, unknown> | undefined;
  const has = (ids: string[]) => () => ids.every((id) => stack.responses.byKey().has(id));

  beforeAll(async () => {
    await stack.startRouter(batchEnv());
  });

  it('answers deadline-tolerant requests from a batch (prefer, and the class default allow) and interactive ones live', async () => {
    const preferred = ['p-1', 'p-2', 'p-3'];
    const allowed = ['a-1', 'a-2'];
    await publish([
      ...preferred.map((id) => ({ id, routing: { batch: 'prefer', deadlineMs: 120_000 } })),
      ...allowed.map((id) => ({ id, class: 'nightly', routing: { deadlineAt: new Date(Date.now() + 120_000).toISOString() } })),
      { id: 'live-1' },
      { id: 'anthropic-1', routing: { batch: 'prefer', deadlineMs: 120_000, models: ['claude'] } },
    ]);
    await stack.responses.waitFor(has([...preferred, ...allowed, 'live-1', 'anthropic-1']), 60_000, 'every answer');
    // Anthropic's Message Batches too.
    expect(json('anthropic-1')).toMatchObject({ status: 'ok', servedVia: 'batch', servedBy: { arm: 'claude' }, batch: { id: expect.stringMatching(/^msgbatch_/) } });
    for (const id of [...preferred, ...allowed]) {
      const r = json(id)!;
      expect(r).toMatchObject({ status: 'ok', servedVia: 'batch', servedBy: { arm: 'only' } });
      expect((r.batch as { id: string }).id).toMatch(/^batch_/);
      expect((r.batch as { waitMs: number }).waitMs).toBeGreaterThan(0);
    }
    expect(json('live-1')).toMatchObject({ status: 'ok', servedVia: 'live' });
    // The batched requests never reached the live endpoint; the interactive one did.
    const live = new Set(stack.sim.calls().map((c) => c.requestId));
    expect([...preferred, ...allowed, 'anthropic-1'].filter((id) => live.has(id))).toEqual([]);
    expect(live.has('live-1')).toBe(true);
    // Billed at the batch price: half the live price of the same usage ($1 in / $2 out per 1M).
    const r = json('p-1')!;
    const usage = r.usage as { inputTokens: number; outputTokens: number; costUsd: number };
    expect(usage.costUsd).toBeCloseTo(((usage.inputTokens * 1 + usage.outputTokens * 2) / 1e6) * 0.5, 9);
  });

  it('answers live before the deadline when the batch expires', async () => {
    stack.sim.setBatchSettings({ completion: { medianMs: 600_000, p95Ms: 900_000 } });
    const before = stack.sim.batches().length;
    const sentAt = Date.now();
    await publish(['x-1', 'x-2'].map((id) => ({ id, routing: { batch: 'prefer', deadlineMs: 60_000 } })));
    const batch = await waitFor(() => stack.sim.batches().slice(before).find((b) => b.status === 'processing'), 30_000, 'the batch to be submitted');
    stack.sim.forceBatch(batch.id, 'expire');
    await stack.responses.waitFor(has(['x-1', 'x-2']), 30_000, 'the rescued answers');
    for (const id of ['x-1', 'x-2']) {
      expect(json(id)).toMatchObject({ status: 'ok', servedVia: 'live' });
      expect(stack.responses.byKey().get(id)).toHaveLength(1);
    }
    expect(Date.now() - sentAt).toBeLessThan(60_000);
    expect(stack.sim.calls().filter((c) => c.requestId === 'x-1' || c.requestId === 'x-2')).toHaveLength(2);
  });

  it('resumes an open batch after kill -9 and publishes each answer exactly once', async () => {
    // Offsets committed rarely: the kill leaves the batched requests to be delivered again.
    await stopRouter(stack.router);
    await stack.startRouter({ ...batchEnv(), ROUTER_COMMIT_INTERVAL_MS: '600000' });
    stack.sim.setBatchSettings({ completion: { medianMs: 600_000, p95Ms: 900_000 } });
    const ids = ['k-1', 'k-2', 'k-3', 'k-4'];
    const before = stack.sim.batches().length;
    await publish(ids.map((id) => ({ id, routing: { batch: 'prefer', deadlineMs: 300_000 } })));
    const batch = await waitFor(() => stack.sim.batches().slice(before).find((b) => b.status === 'processing' && b.requests === ids.length), 30_000, 'the batch to be submitted');
    await waitFor(async () => ((await routingReport(stack.router.port)).batches?.open ?? []).some((b: { id: string }) => b.id === batch.id) || undefined, 10_000, 'the batch in /health/routing');
    stack.router.kill('SIGKILL');
    await stack.router.exited;

    await stack.startRouter(batchEnv());
    stack.sim.forceBatch(batch.id, 'complete');
    await stack.responses.waitFor(has(ids), 60_000, 'the batch answers after the restart');
    // Let a duplicate, if any, arrive before counting.
    await new Promise((r) => setTimeout(r, 1_500));
    for (const id of ids) {
      expect(stack.responses.byKey().get(id)).toHaveLength(1);
      expect(json(id)).toMatchObject({ status: 'ok', servedVia: 'batch', batch: { id: batch.id } });
    }
    // The redelivered requests were not batched again nor answered live.
    expect(stack.router.output()).toMatch(/request k-\d is already in batch/);
    expect(stack.sim.batches().length).toBe(before + 1);
    expect(stack.sim.calls().filter((c) => ids.includes(c.requestId!))).toEqual([]);
    const metrics = await (await fetch(`http://127.0.0.1:${stack.router.port}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_answers_served_total\{served_via="batch"\} 4/);
  });
});

async function routingReport(port: number): Promise<{ batches?: { open: Array<{ id: string; ageMs: number }> } }> {
  return (await (await fetch(`http://127.0.0.1:${port}/health/routing`)).json()) as { batches?: { open: Array<{ id: string; ageMs: number }> } };
}

async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
