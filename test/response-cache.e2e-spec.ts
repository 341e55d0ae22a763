import { eventually } from './support/drills';
import { publishRaw, request } from './support/kafka-io';
import type { RouterProcess } from './support/router-process';
import { Stack } from './support/stack';

interface Response {
  id: string;
  tenant: string;
  status: string;
  output?: { text: string };
  servedBy?: { arm: string };
  servedFrom?: string;
  cache?: { kind: string; similarity: number; ageMs: number; lastResort: boolean; arm: string };
  attempts: Array<{ arm: string; outcome: string }>;
  usage: { costUsd: number };
  error?: { kind: string };
}

/**
 * The response cache through the real pipeline: two router replicas sharing Redis, the provider
 * simulator's embeddings endpoint called through the official SDK, USearch for the semantic index.
 */
describe('response cache: exact, semantic, last resort, shared by replicas', () => {
  const stack = new Stack({
    prefix: 'cache',
    seed: 11,
    models: [
      { name: 'gpt-4o-mini', api: 'openai', outputTokens: 30, latency: { medianMs: 20, p95Ms: 40 } },
      { name: 'claude-haiku-4-5', api: 'anthropic', outputTokens: 30, latency: { medianMs: 20, p95Ms: 40 } },
    ],
    arms: [
      { id: 'mini', provider: 'openai', model: 'gpt-4o-mini' },
      { id: 'haiku', provider: 'anthropic', model: 'claude-haiku-4-5' },
    ],
    tableYaml: [
      'cache:',
      '  mode: read-write',
      '  embeddings: { provider: openai, model: text-embedding-3-small, timeoutMs: 2000 }',
      'classes:',
      '  faq: { cache: { semantic: true, similarity: 0.95 } }',
      '  ops: { cache: { mode: fallback-only, semantic: true } }',
    ].join('\n'),
    extraTopics: (t) => [`${t.tag}.requests-b`, `${t.tag}.feedback`],
    redis: true,
  });
  const { topics } = stack;
  const requestsB = `${topics.tag}.requests-b`;
  const feedbackTopic = `${topics.tag}.feedback`;
  let routerA: RouterProcess | undefined;
  let routerB: RouterProcess | undefined;

  beforeAll(async () => {
    await stack.start();
    const shared = { TOPIC_FEEDBACK: feedbackTopic, STATE_BACKEND: 'redis', REDIS_URL: stack.redis.url, REDIS_KEY_PREFIX: `{${topics.tag}}:` };
    // Two replicas on separate request topics, so the test decides which one routes each request.
    [routerA, routerB] = await Promise.all([stack.startRouter(shared), stack.startRouter({ ...shared, TOPIC_REQUESTS: requestsB, KAFKA_GROUP_ID: `${topics.tag}-router-b` })]);
  });

  afterAll(() => stack.stop());

  async function ask(topic: string, id: string, question: string, overrides: Parameters<typeof request>[1] = {}): Promise<Response> {
    await publishRaw(stack.producer, topic, [{ key: id, value: JSON.stringify(request(id, { class: 'faq', messages: [{ role: 'user', content: question }], ...overrides })) }]);
    await stack.responses.waitFor((c) => c.byKey().has(id), 30_000, `the answer to ${id}`);
    return stack.responses.byKey().get(id)![0].json as unknown as Response;
  }
  const providerCalls = (id: string) => stack.sim.calls().filter((c) => c.requestId === id).length;
  const health = async (router: RouterProcess) => (await (await fetch(`http://127.0.0.1:${router.port}/health/routing`)).json()) as { cache?: { backend: string; semantic: boolean; vectors?: number; vectorsReceived?: number } };

  it('answers a repeated question from the exact cache with no provider call, and a paraphrase from the semantic cache', async () => {
    const first = await ask(topics.requests, 'q1', 'What is the capital of France?');
    expect(first).toMatchObject({ status: 'ok', servedBy: { arm: 'mini' } });
    expect(first.servedFrom).toBeUndefined();
    expect(providerCalls('q1')).toBe(1);

    const repeat = await ask(topics.requests, 'q1-repeat', 'What is the capital of France?');
    expect(repeat).toMatchObject({ status: 'ok', servedFrom: 'cache', cache: { kind: 'exact', similarity: 1, lastResort: false, arm: 'mini' }, attempts: [], usage: { costUsd: 0 } });
    expect(repeat.output?.text).toBe(first.output?.text);
    expect(providerCalls('q1-repeat')).toBe(0);

    const paraphrase = await ask(topics.requests, 'q1-para', 'Could you please tell me the capital of france');
    expect(paraphrase).toMatchObject({ status: 'ok', servedFrom: 'cache', cache: { kind: 'semantic', lastResort: false } });
    expect(paraphrase.cache!.similarity).toBeGreaterThanOrEqual(0.95);
    expect(providerCalls('q1-para')).toBe(0);

    // A question that differs in its entity is not "similar enough": routed.
    const other = await ask(topics.requests, 'q2', 'What is the capital of Spain?');
    expect(other.servedFrom).toBeUndefined();
    expect(providerCalls('q2')).toBe(1);
    expect(stack.sim.embeddingCalls()).toBeGreaterThanOrEqual(3);
  });

  it('drops a cached answer that feedback judges bad, so the next asker gets a fresh one', async () => {
    const first = await ask(topics.requests, 'fb-1', 'What is the tallest mountain in Africa?');
    expect(first.servedFrom).toBeUndefined();
    expect((await ask(topics.requests, 'fb-2', 'What is the tallest mountain in Africa?')).servedFrom).toBe('cache');
    await publishRaw(stack.producer, feedbackTopic, [{ key: 'fb-2', value: JSON.stringify({ schemaVersion: 1, requestId: 'fb-2', label: 'bad', source: 'e2e' }) }]);
    const dropped = async () => {
      const texts = await Promise.all([routerA!, routerB!].map(async (r) => (await fetch(`http://127.0.0.1:${r.port}/metrics`)).text()));
      return texts.some((t) => /switchyard_cache_evictions_total\{reason="bad_feedback"\} [1-9]/.test(t));
    };
    await eventually(dropped, 30_000, 'the bad answer dropped from the cache');
    const fresh = await ask(topics.requests, 'fb-3', 'What is the tallest mountain in Africa?');
    expect(fresh.servedFrom).toBeUndefined();
    expect(providerCalls('fb-3')).toBe(1);
  });

  it('never serves one tenant another tenant’s entry, by exact or semantic match', async () => {
    await ask(topics.requests, 'iso-a', 'How many moons does Mars have?', { tenant: 'tenant-a' });
    const exact = await ask(topics.requests, 'iso-b-exact', 'How many moons does Mars have?', { tenant: 'tenant-b' });
    const semantic = await ask(topics.requests, 'iso-c-para', 'please tell me how many moons mars has', { tenant: 'tenant-c' });
    for (const r of [exact, semantic]) {
      expect(r.servedFrom).toBeUndefined();
      expect(r.servedBy).toBeDefined();
    }
    expect(providerCalls('iso-b-exact') + providerCalls('iso-c-para')).toBe(2);
  });

  it('shares hits between replicas through Redis: the other replica serves the repeat and the paraphrase', async () => {
    await ask(topics.requests, 'share-1', 'What is the boiling point of water at sea level?');
    await eventually(async () => ((await health(routerB!)).cache?.vectorsReceived ?? 0) >= 1, 15_000, 'replica B received the vector');
    const repeat = await ask(requestsB, 'share-1-b', 'What is the boiling point of water at sea level?');
    const paraphrase = await ask(requestsB, 'share-1-b-para', 'tell me the boiling point of water at sea level please');
    expect(repeat).toMatchObject({ servedFrom: 'cache', cache: { kind: 'exact' } });
    expect(paraphrase).toMatchObject({ servedFrom: 'cache', cache: { kind: 'semantic' } });
    expect(providerCalls('share-1-b') + providerCalls('share-1-b-para')).toBe(0);
    expect(await health(routerB!)).toMatchObject({ cache: { backend: 'redis', semantic: true } });
  });

  it('keeps answering while Redis is down: the cache is skipped, nothing fails', async () => {
    if (!stack.redis.managed) return; // an external REDIS_URL cannot be stopped by the suite
    stack.redis.stop();
    try {
      const answer = await ask(topics.requests, 'redis-down-1', 'What is the speed of light?');
      expect([answer.status, answer.error?.kind]).toEqual(['ok', undefined]);
      expect(answer.servedBy).toBeDefined();
      expect(answer.servedFrom).toBeUndefined();
    } finally {
      stack.redis.start();
    }
  });
  // Last: the outage opens both arms' breakers, which later requests would meet.
  it('answers from the cache when every arm is down (fallback-only class), says so, and fails what it never saw', async () => {
    // Redis was restarted by the test before: both routers must have reconnected before answers are cached.
    let probe = 0;
    await eventually(
      async () => {
        probe++;
        await ask(topics.requests, `redis-back-${probe}`, 'Is Redis back yet?');
        return (await ask(requestsB, `redis-back-${probe}-b`, 'Is Redis back yet?')).servedFrom === 'cache';
      },
      30_000,
      'the routers writing to and reading from Redis again',
    );
    const questions = ['How do I restart the billing service?', 'Where are the deploy logs?', 'Who is on call this week?'];
    for (const [i, q] of questions.entries()) expect((await ask(topics.requests, `ops-${i}`, q, { class: 'ops' })).servedFrom).toBeUndefined();
    // fallback-only: a repeat while the arms are up is routed, not served from the cache.
    expect((await ask(topics.requests, 'ops-0-up', questions[0], { class: 'ops' })).servedFrom).toBeUndefined();

    stack.sim.patchModel('gpt-4o-mini', { faults: { outage: true } });
    stack.sim.patchModel('claude-haiku-4-5', { faults: { outage: true } });
    try {
      for (const [i, q] of questions.entries()) {
        const down = await ask(topics.requests, `ops-${i}-down`, i === 2 ? 'who is on call this week' : q, { class: 'ops', routing: { deadlineMs: 5_000 } });
        expect(down).toMatchObject({ status: 'ok', servedFrom: 'cache', cache: { lastResort: true } });
        expect(down.attempts.length).toBeGreaterThan(0);
        expect(down.attempts.every((a) => a.outcome !== 'ok')).toBe(true);
      }
      const unseen = await ask(topics.requests, 'ops-unseen-down', 'What is the wifi password?', { class: 'ops', routing: { deadlineMs: 5_000 } });
      expect(unseen.status).toBe('failed');
      expect(unseen.servedFrom).toBeUndefined();
    } finally {
      stack.sim.patchModel('gpt-4o-mini', { faults: { outage: false } });
      stack.sim.patchModel('claude-haiku-4-5', { faults: { outage: false } });
    }
    const metrics = await (await fetch(`http://127.0.0.1:${routerA!.port}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_cache_lookups_total\{stage="last_resort",result="hit",kind="(exact|semantic)"\} \d+/);
    expect(metrics).toMatch(/switchyard_cache_lookups_total\{stage="first",result="hit",kind="exact"\} [1-9]/);
    expect(metrics).toMatch(/switchyard_cache_writes_total\{result="stored"\} [1-9]/);
  });
});
