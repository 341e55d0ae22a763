import { escalationRecordSchema, responseV1Schema, type RequestV1Input, type ResponseV1 } from '@switchyard/contracts';
import type { CallRecord, ModelInput } from '../apps/provider-sim/src';
import { publishRaw, request, TopicCollector } from './support/kafka-io';
import type { TestArm } from './support/router-process';
import { Stack } from './support/stack';

/**
 * Resilience end to end: a Kafka broker, the built router as a process, provider-sim over HTTP
 * through the official SDKs. Every fault comes from the simulator's per-model config; the router
 * only sees HTTP. Each scenario has its own models/arms and restricts requests to them with
 * `routing.models`, so one router serves the whole file. Resilience timings are shortened through
 * the routing table's `resilience:` section.
 */

const FAST = { medianMs: 20, p95Ms: 20 };
const DEGRADED_REPLY = 'Our assistant is busy right now; a person will follow up.';

const simModels: ModelInput[] = [
  // primary outage → fallback
  { name: 'out-primary', api: 'openai', latency: FAST, faults: { outage: true } },
  { name: 'out-backup', api: 'anthropic', latency: FAST },
  // 429 with a long Retry-After → another arm at once
  { name: 'rl-primary', api: 'openai', latency: FAST, faults: { rate429: true, retryAfterS: 20 } },
  { name: 'rl-backup', api: 'openai', latency: FAST },
  // context overflow: the table claims 128k for ctx-small, the "provider" only has 1k
  { name: 'ctx-small', api: 'openai', latency: FAST, contextWindow: 1_000 },
  { name: 'ctx-same', api: 'openai', latency: FAST, contextWindow: 128_000 },
  { name: 'ctx-large', api: 'openai', latency: FAST, contextWindow: 200_000 },
  // content policy: a refusal, an arm of another policy group, an arm of the same group
  { name: 'cp-refuse', api: 'openai', latency: FAST, faults: { contentPolicy: true, contentPolicyMode: 'finish' } },
  { name: 'cp-other', api: 'openai', latency: FAST },
  { name: 'cp-same', api: 'anthropic', latency: FAST },
  // partial answers: always cut at half the tokens
  { name: 'trunc', api: 'openai', latency: FAST, outputTokens: 40, faults: { truncate: true } },
  // hedging: a slow primary, a fast secondary
  { name: 'hedge-slow', api: 'openai', latency: { medianMs: 3_000, p95Ms: 3_000 } },
  { name: 'hedge-fast', api: 'anthropic', latency: { medianMs: 100, p95Ms: 100 } },
  // breaker: a primary that always fails with 5xx until patched
  { name: 'brk-primary', api: 'openai', latency: FAST, faults: { error5xx: true } },
  { name: 'brk-backup', api: 'openai', latency: FAST },
  // degradation + escalation: every arm down
  { name: 'deg-a', api: 'openai', latency: FAST, faults: { outage: true } },
  { name: 'deg-b', api: 'openai', latency: FAST, faults: { outage: 500 } },
  // a plain healthy arm (review escalation)
  { name: 'plain', api: 'openai', latency: FAST },
];

const arms: TestArm[] = [
  { id: 'out-primary', provider: 'openai', model: 'out-primary' },
  { id: 'out-backup', provider: 'anthropic', model: 'out-backup' },
  { id: 'rl-primary', provider: 'openai', model: 'rl-primary' },
  { id: 'rl-backup', provider: 'openai', model: 'rl-backup' },
  { id: 'ctx-small', provider: 'openai', model: 'ctx-small', contextWindow: 128_000 },
  { id: 'ctx-same', provider: 'openai', model: 'ctx-same', contextWindow: 128_000 },
  { id: 'ctx-large', provider: 'openai', model: 'ctx-large', contextWindow: 200_000 },
  { id: 'cp-refuse', provider: 'openai', model: 'cp-refuse', policyGroup: 'strict' },
  { id: 'cp-other', provider: 'openai', model: 'cp-other', policyGroup: 'open' },
  { id: 'cp-same', provider: 'anthropic', model: 'cp-same', policyGroup: 'strict' },
  { id: 'trunc', provider: 'openai', model: 'trunc' },
  { id: 'hedge-slow', provider: 'openai', model: 'hedge-slow' },
  { id: 'hedge-fast', provider: 'anthropic', model: 'hedge-fast' },
  { id: 'brk-primary', provider: 'openai', model: 'brk-primary' },
  { id: 'brk-backup', provider: 'openai', model: 'brk-backup' },
  { id: 'deg-a', provider: 'openai', model: 'deg-a' },
  { id: 'deg-b', provider: 'openai', model: 'deg-b' },
  { id: 'plain', provider: 'openai', model: 'plain' },
];

const BREAKER_OPEN_MS = 3_000;

const RESILIENCE_YAML = `resilience:
  retry:
    perKind:
      server_error: { maxAttempts: 2, backoff: { baseMs: 50, capMs: 200 } }
      rate_limited: { maxAttempts: 2, backoff: { baseMs: 50, capMs: 200 } }
  retryBudget: { ratio: 1, minRetriesPerSecond: 100 }
  breaker: { consecutiveFailures: 3, openBaseMs: ${BREAKER_OPEN_MS}, openMaxMs: ${BREAKER_OPEN_MS * 2}, halfOpenSuccessesToClose: 2 }
  continuation: { maxContinuations: 2 }
  degradation:
    replies:
      faq: "${DEGRADED_REPLY}"
  escalation: { afterFailedAttempts: 2, reviewClasses: [review] }
  hedge: { delayMs: 200 }
`;

describe('resilience: faults at the provider, answers on Kafka', () => {
  const stack = new Stack({
    prefix: 'resilience',
    sim: { config: { seed: 11, models: simModels }, latencyScale: 1 },
    arms,
    tableYaml: RESILIENCE_YAML,
    extraTopics: (t) => [t.escalations],
    router: { OTEL_SDK_DISABLED: 'true' },
  });
  const { topics } = stack;
  let escalations: TopicCollector;
  let seq = 0;
  beforeAll(async () => {
    await stack.start();
    escalations = await stack.collect(topics.escalations);
  });
  afterAll(() => stack.stop());

  /** Publishes one request and waits for its response; `wallMs` is publish → response seen. */
  async function ask(prefix: string, overrides: Partial<RequestV1Input>): Promise<{ id: string; response: ResponseV1; wallMs: number }> {
    const id = `${prefix}-${++seq}`;
    const started = Date.now();
    await publishRaw(stack.producer, topics.requests, [{ key: id, value: JSON.stringify(request(id, overrides)) }]);
    await stack.responses.waitFor((c) => c.records.some((r) => r.key === id), 30_000, `the response to ${id}`);
    const record = stack.responses.records.find((r) => r.key === id)!;
    return { id, response: responseV1Schema.parse(record.json), wallMs: Date.now() - started };
  }

  const callsFor = (id: string): CallRecord[] => stack.sim.calls().filter((c) => c.requestId === id);
  const callsTo = (model: string): CallRecord[] => stack.sim.calls().filter((c) => c.model === model);
  const attemptsOf = (r: ResponseV1) => r.attempts.map((a) => [a.arm, a.outcome]);

  it('falls back to another arm when the primary is down (503), listing both attempts', async () => {
    const { id, response } = await ask('outage', { routing: { models: ['out-primary', 'out-backup'] } });
    expect(response).toMatchObject({ status: 'ok', servedBy: { arm: 'out-backup', provider: 'anthropic' } });
    expect(attemptsOf(response)).toEqual([
      ['out-primary', 'server_error'],
      ['out-backup', 'ok'],
    ]);
    expect(response.attempts.map((a) => a.role)).toEqual(['first', 'fallback']);
    expect(callsFor(id).map((c) => [c.model, c.status])).toEqual([
      ['out-primary', 503],
      ['out-backup', 200],
    ]);
  });

  it('answers from another arm without waiting out a 20 s Retry-After', async () => {
    const { id, response, wallMs } = await ask('ratelimit', { routing: { models: ['rl-primary', 'rl-backup'] } });
    expect(response).toMatchObject({ status: 'ok', servedBy: { arm: 'rl-backup' } });
    expect(attemptsOf(response)).toEqual([
      ['rl-primary', 'rate_limited'],
      ['rl-backup', 'ok'],
    ]);
    // The behaviour is about time: far below the 20 s the provider asked for.
    expect(response.latencyMs).toBeLessThan(5_000);
    expect(wallMs).toBeLessThan(10_000);
    expect(callsFor(id).filter((c) => c.model === 'rl-primary')).toHaveLength(1);
  });

  it('moves a context overflow to a larger-window arm, never back to the same or an equal window', async () => {
    // ~2,500 tokens for the simulator (chars / 4): fits the 128k the table claims, not the 1k the "provider" has.
    const { id, response } = await ask('context', {
      messages: [{ role: 'user', content: 'lorem ipsum '.repeat(850) }],
      routing: { models: ['ctx-small', 'ctx-same', 'ctx-large'] },
    });
    expect(response).toMatchObject({ status: 'ok', servedBy: { arm: 'ctx-large' } });
    expect(attemptsOf(response)).toEqual([
      ['ctx-small', 'context_overflow'],
      ['ctx-large', 'ok'],
    ]);
    const calls = callsFor(id);
    expect(calls.map((c) => c.model)).toEqual(['ctx-small', 'ctx-large']);
    expect(calls[0]).toMatchObject({ status: 400, fault: 'context_length_exceeded' });
  });

  it('falls back after a content-policy refusal only inside the same policy group when the request allows it', async () => {
    const models = ['cp-refuse', 'cp-other', 'cp-same'];
    const { id, response } = await ask('policy-on', { routing: { models, contentPolicyFallback: true } });
    expect(response).toMatchObject({ status: 'ok', servedBy: { arm: 'cp-same' } });
    expect(attemptsOf(response)).toEqual([
      ['cp-refuse', 'content_policy'],
      ['cp-same', 'ok'],
    ]);
    expect(callsFor(id).map((c) => c.model)).toEqual(['cp-refuse', 'cp-same']);

    const off = await ask('policy-off', { routing: { models } });
    expect(off.response).toMatchObject({ status: 'failed', error: { kind: 'content_policy', retryable: false } });
    expect(attemptsOf(off.response)).toEqual([['cp-refuse', 'content_policy']]);
    // Actionable: says how to turn the fallback on and what was tried.
    expect(off.response.error!.message).toMatch(/routing\.contentPolicyFallback/);
    expect(off.response.error!.message).toMatch(/attempts: cp-refuse: content_policy/);
    expect(callsFor(off.id).map((c) => c.model)).toEqual(['cp-refuse']);
    // The arm of the other policy group was never called by either request.
    expect(callsTo('cp-other')).toHaveLength(0);
  });

  it('continues a cut answer on the same arm (2 continuations at most), joining text and summing usage', async () => {
    const { id, response } = await ask('partial', { params: { maxTokens: 200 }, routing: { models: ['trunc'] } });
    expect(response).toMatchObject({ status: 'ok', servedBy: { arm: 'trunc' }, output: { finishReason: 'length' } });
    expect(attemptsOf(response)).toEqual([
      ['trunc', 'ok'],
      ['trunc', 'ok'],
      ['trunc', 'ok'],
    ]);
    expect(response.attempts.map((a) => a.role)).toEqual(['first', 'continuation', 'continuation']);
    const calls = callsFor(id);
    expect(calls).toHaveLength(3);
    expect(calls.every((c) => c.finishReason === 'length')).toBe(true);
    // Each cut answer is half of min(40, max_tokens) = 20 tokens; usage adds all three calls.
    expect(calls.map((c) => c.outputTokens)).toEqual([20, 20, 20]);
    expect(response.usage.outputTokens).toBe(60);
    expect(response.usage.inputTokens).toBe(calls.reduce((s, c) => s + c.inputTokens, 0));
    expect(response.usage.costUsd).toBeCloseTo(response.attempts.reduce((s, a) => s + a.costUsd, 0), 9);
    // Later continuations carry the earlier text as the assistant turn: the prompt grows.
    expect(calls[1].inputTokens).toBeGreaterThan(calls[0].inputTokens);
    expect(response.output!.text.length).toBeGreaterThan(0);
  });

  it('hedges a slow primary: the fast secondary answers and the primary call is aborted', async () => {
    const { id, response } = await ask('hedge', { routing: { models: ['hedge-slow', 'hedge-fast'], hedge: true } });
    expect(response).toMatchObject({ status: 'ok', servedBy: { arm: 'hedge-fast' } });
    expect(new Map(attemptsOf(response) as Array<[string, string]>)).toEqual(
      new Map([
        ['hedge-fast', 'ok'],
        ['hedge-slow', 'cancelled'],
      ]),
    );
    expect(response.attempts.find((a) => a.arm === 'hedge-slow')).toMatchObject({ role: 'first', costUsd: 0 });
    expect(response.attempts.find((a) => a.arm === 'hedge-fast')).toMatchObject({ role: 'hedge' });
    // Answered well before the primary's 3 s.
    expect(response.latencyMs).toBeLessThan(2_500);
    const aborted = async () => callsFor(id).find((c) => c.model === 'hedge-slow')?.outcome;
    for (let i = 0; i < 50 && (await aborted()) !== 'aborted'; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await aborted()).toBe('aborted');
    expect(callsFor(id).find((c) => c.model === 'hedge-slow')!.latencyMs).toBeLessThan(2_500);
  });

  it('opens the breaker of an always-failing primary, stops calling it, and closes it through half-open probes once it recovers', async () => {
    const models = ['brk-primary', 'brk-backup'];
    // Three consecutive 5xx open the breaker; each request is still answered by the backup.
    for (let i = 0; i < 3; i++) {
      const { response } = await ask('breaker-fail', { routing: { models } });
      expect(attemptsOf(response)).toEqual([
        ['brk-primary', 'server_error'],
        ['brk-backup', 'ok'],
      ]);
    }
    const openedBy = Date.now();
    const primaryCalls = callsTo('brk-primary').length;
    expect(primaryCalls).toBe(3);

    // Open: the primary is not even tried.
    for (let i = 0; i < 3; i++) {
      const { response } = await ask('breaker-open', { routing: { models } });
      expect(attemptsOf(response)).toEqual([['brk-backup', 'ok']]);
    }
    expect(Date.now() - openedBy).toBeLessThan(BREAKER_OPEN_MS); // still inside the open time
    expect(callsTo('brk-primary')).toHaveLength(primaryCalls);

    // The provider recovers; after the open time, half-open probes reach it and close the breaker.
    stack.sim.patchModel('brk-primary', { faults: { error5xx: 0 } });
    await new Promise((r) => setTimeout(r, Math.max(0, openedBy + BREAKER_OPEN_MS + 300 - Date.now())));
    for (let i = 0; i < 3; i++) {
      const { response } = await ask('breaker-closed', { routing: { models } });
      expect(response).toMatchObject({ status: 'ok', servedBy: { arm: 'brk-primary' } });
      expect(attemptsOf(response)).toEqual([['brk-primary', 'ok']]);
    }
    expect(callsTo('brk-primary')).toHaveLength(primaryCalls + 3);

    // Closed again, not half-open: one new failure is counted, not a failed probe that re-opens it,
    // so the next request still tries the primary first.
    stack.sim.patchModel('brk-primary', { faults: { error5xx: true } });
    for (let i = 0; i < 2; i++) {
      const { response } = await ask('breaker-reclosed', { routing: { models } });
      expect(attemptsOf(response)).toEqual([
        ['brk-primary', 'server_error'],
        ['brk-backup', 'ok'],
      ]);
    }
  });

  it('serves the class static reply (degraded) when every arm fails, and escalates it with the response', async () => {
    const { id, response } = await ask('degraded', { class: 'faq', routing: { models: ['deg-a', 'deg-b'] } });
    expect(response).toMatchObject({ status: 'ok', degraded: true, output: { text: DEGRADED_REPLY, finishReason: 'stop' } });
    expect(response.servedBy).toBeUndefined();
    // deg-a fails, deg-b fails, no arm left: deg-b is retried once (server_error maxAttempts 2).
    expect(attemptsOf(response)).toEqual([
      ['deg-a', 'server_error'],
      ['deg-b', 'server_error'],
      ['deg-b', 'server_error'],
    ]);
    await escalations.waitFor((c) => c.records.some((r) => r.key === id), 15_000, `the escalation of ${id}`);
    const record = escalationRecordSchema.parse(escalations.records.find((r) => r.key === id)!.json);
    expect(record).toMatchObject({ schemaVersion: 1, id, tenant: 'e2e', class: 'faq', reason: expect.stringMatching(/3 failed attempts/) });
    expect(record.response).toEqual(response);
    expect(record.request.id).toBe(id);
  });

  it('escalates every request of a review class, with the response inside, and nothing else', async () => {
    const { id, response } = await ask('review', { class: 'review', routing: { models: ['plain'] } });
    expect(response).toMatchObject({ status: 'ok', servedBy: { arm: 'plain' } });
    await escalations.waitFor((c) => c.records.some((r) => r.key === id), 15_000, `the escalation of ${id}`);
    const collected = escalations.records.find((r) => r.key === id)!;
    const record = escalationRecordSchema.parse(collected.json);
    expect(record).toMatchObject({ id, tenant: 'e2e', class: 'review', reason: 'class "review" is configured for review' });
    expect(record.response).toEqual(response);
    expect(record.request).toMatchObject({ id, class: 'review', messages: [{ role: 'user', content: `question ${id}` }] });
    expect(Date.parse(record.escalatedAt)).not.toBeNaN();
    expect(collected.headers['content-type']).toBe('application/json');
    // Successful requests of other classes, and failures with fewer failed attempts, are not escalated.
    await new Promise((r) => setTimeout(r, 500));
    expect(escalations.records.map((r) => r.key).sort()).toEqual(
      stack.responses.records
        .filter((r) => (r.json as ResponseV1).degraded || r.key!.startsWith('review-'))
        .map((r) => r.key)
        .sort(),
    );
  });

  it('the simulator saw exactly the attempts each response reports: no hidden SDK retries', () => {
    expect(stack.responses.records.length).toBe(seq);
    const simOutcome = (kind: string): string =>
      ({ ok: 'ok', content_policy: 'ok' /* a 200 with finish_reason content_filter */, cancelled: 'aborted', server_error: '5xx', rate_limited: '429', context_overflow: '400' })[kind] ?? kind;
    const simKind = (c: CallRecord): string => (c.outcome === 'ok' || c.outcome === 'aborted' ? c.outcome : /^5\d\d$/.test(c.outcome) ? '5xx' : c.outcome);
    for (const record of stack.responses.records) {
      const response = responseV1Schema.parse(record.json);
      const calls = callsFor(response.id);
      expect({ id: response.id, calls: calls.length }).toEqual({ id: response.id, calls: response.attempts.length });
      // One call per attempt number, 1..n, each on the arm (= model) and with the outcome reported.
      expect(calls.map((c) => c.attempt).sort((a, b) => a! - b!)).toEqual(response.attempts.map((_, i) => i + 1));
      expect(calls.map((c) => `${c.model}:${simKind(c)}`).sort()).toEqual(response.attempts.map((a) => `${a.arm}:${simOutcome(a.outcome)}`).sort());
    }
  });
});
