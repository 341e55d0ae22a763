import { createHash } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import { responseV1Schema, type OutcomeRecord, type RequestV1Input, type ResponseV1 } from '@switchyard/contracts';
import { startProviderSim, type ModelInput, type ProviderSim } from '../apps/provider-sim/src';
import { connectProducer, publishRaw, request, testKafka, TopicCollector, uniqueTopics } from './support/kafka-io';
import { routingTableFor, startRouter, stopRouter, type RouterProcess, type TestArm } from './support/router-process';

const KEY = 'sk-fault-semantics-e2e';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const FAST = { medianMs: 20, p95Ms: 20 };

/** Short windows, so a failure ages out of the breaker in seconds and a restart can be tested. */
const BREAKER_WINDOW_MS = 4_000;
const COOLDOWN_S = 20;

const simModels: ModelInput[] = [
  // restart after failures: down while the first router runs, healthy once it is gone
  { name: 'rs-primary', api: 'openai', latency: FAST, faults: { error5xx: true } },
  { name: 'rs-backup', api: 'openai', latency: FAST },
  // an arm only the first router's table has
  { name: 'rs-retired', api: 'openai', latency: FAST },
  // 429 with a Retry-After longer than the router may wait
  { name: 'rl-only', api: 'openai', latency: FAST, faults: { rate429: true, retryAfterS: COOLDOWN_S } },
  // JSON mode: one model answers prose to JSON requests
  { name: 'json-text', api: 'openai', latency: FAST, faults: { invalidJson: true } },
  { name: 'json-ok', api: 'openai', latency: FAST },
  // a wrong key: every call 401
  { name: 'key-bad', api: 'openai', latency: FAST, faults: { authError: true } },
  { name: 'key-good', api: 'openai', latency: FAST },
];

const ARMS: TestArm[] = ['rs-primary', 'rs-backup', 'rl-only', 'json-text', 'json-ok', 'key-bad', 'key-good'].map((id) => ({ id, provider: 'openai', model: id }));

const RESILIENCE_YAML = `resilience:
  retry:
    retryAfterCapMs: 5000
    perKind:
      server_error: { maxAttempts: 1 }
      rate_limited: { maxAttempts: 1 }
  breaker: { windowMs: ${BREAKER_WINDOW_MS}, bucketMs: 500, consecutiveFailures: 3, openBaseMs: 60000, openMaxMs: 60000 }
`;

interface ArmView {
  arm: string;
  breaker: { state: string; calls: number; observedCalls: number; coolingDownUntil: string | null };
  credentials: { state: string; since: string | null; status: number | null };
}

/**
 * Fault semantics end to end (issue 20): a restart that replays the outcomes topic, a 429
 * cooldown at the front door and on Kafka, JSON mode through an arm that answers prose, and a
 * wrong key. A real broker, provider-sim over HTTP, the built router as a process (two in turn:
 * the restart kills the first).
 */
describe('fault semantics: restarts, 429 cooldowns, JSON mode, dead credentials', () => {
  const topics = uniqueTopics('faults');
  const outcomesTopic = `${topics.tag}.outcomes`;
  let sim: ProviderSim;
  let router: RouterProcess | undefined;
  let kafka: Kafka;
  let producer: Producer;
  let responses: TopicCollector;
  let seq = 0;

  const env = (arms: TestArm[]) => ({
    ...topics.env(),
    ROUTING_TABLE: routingTableFor(sim.url, arms, RESILIENCE_YAML),
    FRONTDOOR_API_KEYS: `e2e:${sha256(KEY)}`,
    // The restarted router rejoins the request and feedback groups of the one killed: a short
    // session ends its wait for the dead member (it held start-up ~25 s with the feedback group's
    // default session, before that group took KAFKA_SESSION_TIMEOUT_MS too).
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
  });

  beforeAll(async () => {
    sim = await startProviderSim({ config: { seed: 20, models: simModels }, latencyScale: 1 });
    kafka = testKafka();
    // One outcomes partition: records are replayed in the order they were published.
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [...[topics.requests, topics.responses, topics.dlq, topics.escalations].map((topic) => ({ topic, numPartitions: 6 })), { topic: outcomesTopic, numPartitions: 1 }],
    });
    await admin.disconnect();
    producer = await connectProducer(kafka);
    responses = await new TopicCollector(kafka, topics.responses).start();
  });

  afterAll(async () => {
    await Promise.all([responses?.stop(), producer?.disconnect()]);
    await stopRouter(router);
    await sim?.close();
  });

  async function ask(prefix: string, overrides: Partial<RequestV1Input>): Promise<ResponseV1> {
    const id = `${prefix}-${++seq}`;
    await publishRaw(producer, topics.requests, [{ key: id, value: JSON.stringify(request(id, overrides)) }]);
    await responses.waitFor((c) => c.records.some((r) => r.key === id), 30_000, `the response to ${id}`);
    return responseV1Schema.parse(responses.records.find((r) => r.key === id)!.json);
  }

  async function arms(): Promise<Map<string, ArmView>> {
    const body = (await (await fetch(`http://127.0.0.1:${router!.port}/health/routing`)).json()) as { arms: ArmView[] };
    return new Map(body.arms.map((a) => [a.arm, a]));
  }

  async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
    const started = Date.now();
    while (!(await check())) {
      if (Date.now() - started > 30_000) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const callsTo = (model: string) => sim.calls().filter((c) => c.model === model);

  it('after a restart, failures replayed from before it open no breaker on the arm that recovered', async () => {
    router = await startRouter(env([...ARMS, { id: 'rs-retired', provider: 'openai', model: 'rs-retired' }]));
    for (let i = 0; i < 4; i++) {
      const r = await ask('rs-fail', { routing: { models: ['rs-primary', 'rs-backup'] } });
      expect(r.servedBy?.arm).toBe('rs-backup');
    }
    await ask('rs-retired', { routing: { models: ['rs-retired'] } });
    expect((await arms()).get('rs-primary')!.breaker.state).toBe('open');
    const failedAt = Date.now();
    router.kill('SIGKILL');
    await router.exited;

    // The provider recovers; the router comes back once the failures are older than the breaker window.
    sim.patchModel('rs-primary', { faults: { error5xx: false } });
    await new Promise((r) => setTimeout(r, Math.max(0, failedAt + BREAKER_WINDOW_MS + 500 - Date.now())));
    router = await startRouter(env(ARMS));
    // A marker outcome after the first router's records: once it shows, the replay is through.
    const marker: OutcomeRecord = {
      schemaVersion: 1,
      replica: 'e2e-marker',
      requestId: 'marker',
      requestClass: 'default',
      outcome: { arm: 'rs-backup', attempt: 1, kind: 'ok', retryable: false, countsAgainstArm: false, startedAt: Date.now(), latencyMs: 1, costUsd: 0, usage: { inputTokens: 1, outputTokens: 1 } },
    };
    await publishRaw(producer, outcomesTopic, [{ key: 'rs-backup', value: JSON.stringify(marker) }]);
    await eventually(async () => ((await arms()).get('rs-backup')?.breaker.observedCalls ?? 0) > 0, 'the replay to reach the marker outcome');

    const view = await arms();
    expect(view.get('rs-primary')!.breaker).toMatchObject({ state: 'closed', calls: 0, observedCalls: 0 });
    // The marker is another replica's call, not this process's.
    expect(view.get('rs-backup')!.breaker).toMatchObject({ calls: 0, observedCalls: 1 });
    expect(view.has('rs-retired')).toBe(false);
    const metrics = await (await fetch(`http://127.0.0.1:${router.port}/metrics`)).text();
    expect(metrics).not.toMatch(/arm="rs-retired"/);

    const r = await ask('rs-after', { routing: { models: ['rs-primary'] } });
    expect(r.status).toBe('ok');
    expect(r.attempts.map((a) => [a.arm, a.outcome])).toEqual([['rs-primary', 'ok']]);
  });

  it('a 429 cooldown is rate_limited, retryable, with retryAfterMs on Kafka, and 429 + Retry-After at the front door', async () => {
    const first = await ask('rl', { routing: { models: ['rl-only'] } });
    expect(first.attempts.map((a) => [a.arm, a.outcome])).toEqual([['rl-only', 'rate_limited']]);
    expect(first.error).toMatchObject({ kind: 'rate_limited', retryable: true });
    expect((await arms()).get('rl-only')!.breaker).toMatchObject({ state: 'closed', coolingDownUntil: expect.any(String) });

    // During the cooldown: no call, the same classified failure (not circuit_open).
    const calls = callsTo('rl-only').length;
    const during = await ask('rl', { routing: { models: ['rl-only'] } });
    expect(during.attempts).toEqual([]);
    expect(during.error).toMatchObject({ kind: 'rate_limited', retryable: true });
    expect(during.error!.retryAfterMs).toBeGreaterThan(10_000);
    expect(during.error!.retryAfterMs).toBeLessThanOrEqual(COOLDOWN_S * 1000);

    const res = await fetch(`http://127.0.0.1:${router!.port}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'rl-only', messages: [{ role: 'user', content: 'hello' }] }),
    });
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(10);
    expect(retryAfter).toBeLessThanOrEqual(COOLDOWN_S);
    expect(((await res.json()) as { error: { type: string; code: string } }).error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limited' });
    expect(callsTo('rl-only')).toHaveLength(calls);
  });

  it('JSON mode: an arm that answers prose is never published; the answer comes from an arm that gives JSON', async () => {
    const r = await ask('json', { routing: { models: ['json-text', 'json-ok'] }, params: { responseFormat: { type: 'json_object' } } });
    expect(r.status).toBe('ok');
    expect(r.servedBy?.arm).toBe('json-ok');
    expect(r.attempts.map((a) => [a.arm, a.outcome])).toEqual([
      ['json-text', 'check_failed'],
      ['json-ok', 'ok'],
    ]);
    expect(() => JSON.parse(r.output!.text)).not.toThrow();

    const none = await ask('json', { routing: { models: ['json-text'] }, params: { responseFormat: { type: 'json_object' } } });
    expect(none.status).toBe('failed');
    expect(none.output).toBeUndefined();
    expect(none.error).toMatchObject({ kind: 'check_failed', message: expect.stringMatching(/asked for JSON/) });
  });

  it('a wrong key takes the arm out of rotation for every class; health and metrics show it, the log says it once', async () => {
    const first = await ask('key', { routing: { models: ['key-bad', 'key-good'] } });
    expect(first.attempts.map((a) => [a.arm, a.outcome])).toEqual([
      ['key-bad', 'auth'],
      ['key-good', 'ok'],
    ]);
    for (const cls of ['default', 'extraction', 'default']) {
      const r = await ask('key', { class: cls, routing: { models: ['key-bad', 'key-good'] } });
      expect(r.attempts.map((a) => a.arm)).toEqual(['key-good']);
    }
    expect(callsTo('key-bad')).toHaveLength(1);
    const bad = (await arms()).get('key-bad')!;
    expect(bad.credentials).toMatchObject({ state: 'auth_failed', status: 401 });
    expect(Date.parse(bad.credentials.since!)).toBeLessThanOrEqual(Date.now());
    expect(bad.breaker.state).toBe('closed');
    const metrics = await (await fetch(`http://127.0.0.1:${router!.port}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_arm_credentials_refused\{arm="key-bad"\} 1/);
    expect(metrics).toMatch(/switchyard_arm_credentials_refused\{arm="key-good"\} 0/);
    expect(router!.output().match(/key-bad: the provider refused its credentials/g)).toHaveLength(1);
  });
});
