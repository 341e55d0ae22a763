import { publishRaw, request } from './support/kafka-io';
import { PRIMARY_SECONDARY, useStack, type StackOptions } from './support/stack';

/** One Prometheus sample: name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparseable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

function pick(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

const sum = (samples: Sample[]) => samples.reduce((a, s) => a + s.value, 0);

async function scrape(port: number): Promise<Sample[]> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(await res.text());
}

/**
 * /metrics, /health/routing and /health/ready against the real router: provider-sim with the
 * primary model in outage, so requests fall back, the primary's breaker opens, and (second router)
 * a table whose only arm is down stops being ready.
 */
describe('observability: /metrics and routing health', () => {
  /** A stack whose simulator has gpt-4o-mini in outage (every call fails) before the router starts. */
  const outageStack = (prefix: string, options: Pick<StackOptions, 'arms' | 'tableYaml' | 'collectDlq'>, env: Record<string, string> = {}) => {
    const stack = useStack({ prefix, sim: { latencyScale: 0.02, seed: 5 }, ...options });
    beforeAll(async () => {
      stack.sim.patchModel('gpt-4o-mini', { faults: { outage: true } });
      await stack.startRouter(env);
    });
    return stack;
  };

  describe('primary in outage, secondary healthy', () => {
    const stack = outageStack(
      'observability',
      {
        arms: PRIMARY_SECONDARY,
        // `chat` is a declared class: metric labels carry only classes the table names.
        tableYaml: 'resilience:\n  breaker: { consecutiveFailures: 3, openBaseMs: 600000, openMaxMs: 600000 }\nclasses:\n  chat: {}\n',
        collectDlq: true,
      },
      // Tenants the configuration names are labelled by name (any other is `other`): acme and globex have keys.
      { FRONTDOOR_API_KEYS: `acme:${'a'.repeat(64)},globex:${'b'.repeat(64)}` },
    );
    const { topics } = stack;
    const N = 8;

    beforeAll(async () => {
      // One at a time, so the breaker opens after exactly three failed primary attempts.
      for (let i = 0; i < N; i++) {
        const id = `obs-${i}`;
        await publishRaw(stack.producer, topics.requests, [{ key: id, value: JSON.stringify(request(id, { tenant: i % 2 ? 'acme' : 'globex', class: 'chat' })) }]);
        await stack.responses.waitFor((c) => c.byKey().has(id), 30_000, `response ${id}`);
      }
      await publishRaw(stack.producer, topics.requests, [
        { key: 'obs-0', value: JSON.stringify(request('obs-0', { tenant: 'globex', class: 'chat' })) },
        { key: 'broken', value: '{"schemaVersion":1,' },
      ]);
      await stack.responses.waitFor((c) => (c.byKey().get('obs-0')?.length ?? 0) >= 2, 30_000, 'the replayed answer');
      await stack.dlq.waitFor((c) => c.records.length >= 1, 30_000, 'the DLQ record');
    });

    it('exposes request, attempt, fallback, breaker, cost, lag, DLQ and replay series with the values of the traffic', async () => {
      expect(stack.responses.distinctKeys()).toBe(N);
      for (const [, [first]] of stack.responses.byKey()) expect(first.json).toMatchObject({ status: 'ok', servedBy: { arm: 'secondary' } });
      const m = await scrape(stack.router.port);

      // Every routed request counted once, by status and class; the replay is not routed again.
      expect(sum(pick(m, 'switchyard_requests_total'))).toBe(N);
      expect(sum(pick(m, 'switchyard_requests_total', { status: 'ok', class: 'chat', error_kind: 'none' }))).toBe(N);
      expect(sum(pick(m, 'switchyard_request_duration_seconds_count'))).toBe(N);

      // The primary failed with server_error until its breaker opened (3 consecutive failures).
      expect(sum(pick(m, 'switchyard_attempts_total', { arm: 'primary', outcome: 'server_error' }))).toBe(3);
      expect(sum(pick(m, 'switchyard_attempts_total', { arm: 'secondary', outcome: 'ok' }))).toBe(N);
      expect(sum(pick(m, 'switchyard_fallbacks_total', { from: 'primary', to: 'secondary', reason: 'server_error' }))).toBe(3);
      expect(sum(pick(m, 'switchyard_selections_total', { arm: 'secondary' }))).toBe(N);
      expect(sum(pick(m, 'switchyard_attempt_duration_seconds_count', { arm: 'primary', result: 'error' }))).toBe(3);
      expect(pick(m, 'switchyard_attempt_duration_seconds_bucket', { arm: 'secondary', result: 'ok', le: '60' })[0]?.value).toBe(N);

      // Breaker gauge for every arm: primary open (2), secondary closed (0).
      expect(pick(m, 'switchyard_breaker_state', { arm: 'primary' })[0]?.value).toBe(2);
      expect(pick(m, 'switchyard_breaker_state', { arm: 'secondary' })[0]?.value).toBe(0);
      expect(pick(m, 'switchyard_breaker_transitions_total', { arm: 'primary', to: 'open' })[0]?.value).toBe(1);

      // Cost per tenant and arm, tokens.
      expect(pick(m, 'switchyard_cost_usd_total', { tenant: 'acme', arm: 'secondary' })[0]?.value).toBeGreaterThan(0);
      expect(pick(m, 'switchyard_cost_usd_total', { tenant: 'globex', arm: 'secondary' })[0]?.value).toBeGreaterThan(0);
      expect(pick(m, 'switchyard_tokens_total', { arm: 'secondary', type: 'output' })[0]?.value).toBeGreaterThan(0);

      // Pipeline: DLQ by reason, idempotent replays, consumer state.
      expect(pick(m, 'switchyard_dlq_records_total', { reason: 'invalid_json' })[0]?.value).toBe(1);
      expect(pick(m, 'switchyard_replays_total')[0]?.value).toBe(1);
      expect(pick(m, 'switchyard_in_flight_requests')[0]?.value).toBe(0);
      expect(pick(m, 'switchyard_consumer_running')[0]?.value).toBe(1);

      // Lag per partition of the request topic, from the broker (6 partitions).
      const lag = pick(m, 'switchyard_consumer_lag', { topic: topics.requests });
      expect(lag.map((s) => s.labels.partition).sort()).toEqual(['0', '1', '2', '3', '4', '5']);
      for (const s of lag) expect(s.value).toBeGreaterThanOrEqual(0);
      expect(sum(lag)).toBeLessThanOrEqual(N + 2);

      // Default process metrics carry the prefix; no request id leaks into a label.
      expect(pick(m, 'switchyard_process_resident_memory_bytes')).toHaveLength(1);
      expect(m.some((s) => Object.values(s.labels).some((v) => v.startsWith('obs-')))).toBe(false);
    });

    it('reports breaker state, failure rate and selection share per arm on /health/routing, and stays ready', async () => {
      const res = await fetch(`http://127.0.0.1:${stack.router.port}/health/routing`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        at: string;
        available: boolean;
        sources: { policy: boolean; budget: boolean };
        arms: Array<{ arm: string; provider: string; model: string; breaker: Record<string, unknown>; policy: unknown; selections: { lastMinute: number; shareLastMinute: number; source: string } }>;
        budget: unknown;
      };
      expect(Date.parse(body.at)).not.toBeNaN();
      expect(body.available).toBe(true);
      expect(body.arms.map((a) => a.arm)).toEqual(['primary', 'secondary']);
      const [primary, secondary] = body.arms;
      expect(primary).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', breaker: { state: 'open', failureRate: 1, calls: 3, consecutiveFailures: 3 } });
      expect(Date.parse(String(primary.breaker.since))).not.toBeNaN();
      expect(Date.parse(String(primary.breaker.openUntil))).toBeGreaterThan(Date.now() + 500_000);
      expect(secondary).toMatchObject({ breaker: { state: 'closed', failureRate: 0, openUntil: null } });
      // Selections over the last minute: the 3 first decisions chose the primary, all N the secondary.
      expect(primary.selections).toEqual({ lastMinute: 3, shareLastMinute: expect.closeTo(3 / (N + 3), 3), source: expect.any(String) });
      expect(secondary.selections.lastMinute).toBe(N);
      // Policy and budget fields are filled when the adaptive policy / budget guard are wired.
      if (!body.sources.policy) expect(primary.policy).toBeNull();
      if (!body.sources.budget) expect(body.budget).toBeNull();

      const ready = await fetch(`http://127.0.0.1:${stack.router.port}/health/ready`);
      expect(ready.status).toBe(200);
      expect(((await ready.json()) as { details: { arms: unknown } }).details.arms).toEqual({ status: 'up', available: 1, open: ['primary'] });
    });
  });

  describe('the only arm is down', () => {
    const stack = outageStack('observability-down', {
      arms: [{ id: 'lonely', provider: 'openai', model: 'gpt-4o-mini' }],
      tableYaml: 'resilience:\n  retry:\n    perKind:\n      server_error: { maxAttempts: 1 }\n  breaker: { consecutiveFailures: 2, openBaseMs: 600000, openMaxMs: 600000 }\n',
    });
    const { topics } = stack;

    it('is ready while the arm is closed, then answers 503 once its breaker opens', async () => {
      const before = await fetch(`http://127.0.0.1:${stack.router.port}/health/ready`);
      expect(before.status).toBe(200);

      for (const id of ['down-1', 'down-2']) {
        await publishRaw(stack.producer, topics.requests, [{ key: id, value: JSON.stringify(request(id)) }]);
        await stack.responses.waitFor((c) => c.byKey().has(id), 30_000, `response ${id}`);
        expect(stack.responses.byKey().get(id)![0].json).toMatchObject({ status: 'failed', error: { kind: 'server_error' } });
      }

      const ready = await fetch(`http://127.0.0.1:${stack.router.port}/health/ready`);
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as { status: string; details: Record<string, { status: string }>; error: Record<string, unknown> };
      expect(body.status).toBe('error');
      expect(body.details.consumer.status).toBe('up');
      expect(body.error.arms).toEqual({ status: 'down', available: 0, open: ['lonely'] });

      const routing = (await (await fetch(`http://127.0.0.1:${stack.router.port}/health/routing`)).json()) as { available: boolean; arms: Array<{ breaker: { state: string } }> };
      expect(routing.available).toBe(false);
      expect(routing.arms[0].breaker.state).toBe('open');

      const m = await scrape(stack.router.port);
      expect(pick(m, 'switchyard_breaker_state', { arm: 'lonely' })[0]?.value).toBe(2);
      expect(sum(pick(m, 'switchyard_requests_total', { status: 'failed', error_kind: 'server_error' }))).toBe(2);
      // A fallback was planned each time, but no arm was left to take it.
      expect(sum(pick(m, 'switchyard_fallbacks_total'))).toBe(2);
      expect(sum(pick(m, 'switchyard_fallbacks_total', { from: 'lonely', to: 'none', reason: 'server_error' }))).toBe(2);
    });
  });
});
