import { fallbackReviewRecordSchema, responseV1Schema, type RequestV1Input, type ResponseV1 } from '@switchyard/contracts';
import { publishRaw, request, type TopicCollector } from './support/kafka-io';
import { Stack } from './support/stack';

const fast = { medianMs: 20, p95Ms: 40 };

/** ~10,000 estimated tokens: more than the 8,000-token window of every arm left to these classes. */
const LONG_CONVERSATION: RequestV1Input['messages'] = [
  { role: 'system', content: 'You are the depot assistant. Answer briefly.' },
  ...Array.from({ length: 12 }, (_, i) => ({ role: i % 2 === 0 ? ('user' as const) : ('assistant' as const), content: `turn ${i}: ${'cargo schedule platform '.repeat(140)}` })),
  { role: 'user', content: 'So which platform does the 9:15 leave from?' },
];

/**
 * The fallback steps through the real pipeline (one router, real broker, provider-sim): a
 * conversation no remaining window holds is answered after `trim` and after `summarize` (the
 * summariser a real simulator call, paid for in the response's cost), a class that forbids
 * reduction gets no_eligible_arm, and a fallback answer that fails its class's guard is not
 * published but is copied, with the failing verdict, to the review topic.
 */
describe('fallback steps: context reduction and the fallback guard', () => {
  const stack = new Stack({
    prefix: 'fallback-steps',
    seed: 23,
    models: [
      // The large-window arm of `notes` is down: its fallback is the small window.
      { name: 'gpt-4o', api: 'openai', outputTokens: 30, latency: fast, faults: { outage: true } },
      { name: 'claude-haiku-4-5', api: 'anthropic', contextWindow: 8_000, outputTokens: 30, latency: fast },
      { name: 'gpt-4o-mini', api: 'openai', outputTokens: 60, latency: fast },
      { name: 'gpt-4.1-mini', api: 'openai', outputTokens: 30, latency: fast },
      { name: 'claude-sonnet-4-6', api: 'anthropic', outputTokens: 30, latency: fast },
    ],
    arms: [
      { id: 'big', provider: 'openai', model: 'gpt-4o', classes: ['notes'] },
      { id: 'small', provider: 'anthropic', model: 'claude-haiku-4-5', contextWindow: 8_000, classes: ['notes', 'clipped', 'strict'] },
      // The same model, its window overstated in the table: only the provider's 400 tells.
      { id: 'optimist', provider: 'anthropic', model: 'claude-haiku-4-5', contextWindow: 16_000, classes: ['dense'] },
      // Serves no class: only summarises.
      { id: 'summariser', provider: 'openai', model: 'gpt-4o-mini', classes: ['summaries'], pricing: { inputPer1M: 0.15, outputPer1M: 0.6 } },
      { id: 'first', provider: 'openai', model: 'gpt-4.1-mini', classes: ['guarded'] },
      { id: 'second', provider: 'anthropic', model: 'claude-sonnet-4-6', classes: ['guarded'] },
    ],
    tableYaml: [
      'cache:',
      '  embeddings: { provider: openai, model: text-embedding-3-small }',
      'classes:',
      '  clipped: { reduction: trim }',
      '  notes: { reduction: { method: summarize, summarizeWith: summariser, summaryMaxTokens: 80 } }',
      '  strict: { reduction: off }',
      '  dense: { reduction: trim }',
      // Simulated answers are random words: only a near-copy of an accepted answer would pass 0.99.
      '  guarded: { fallbackGuard: { minSimilarity: 0.99, recent: 10 } }',
    ].join('\n'),
    extraTopics: (t) => [t.fallbacks],
    router: { FALLBACK_REVIEW_ENABLED: 'true' },
  });
  let reviews: TopicCollector;
  beforeAll(async () => {
    await stack.start();
    reviews = await stack.collect(stack.topics.fallbacks);
  });
  afterAll(() => stack.stop());

  async function ask(ids: string[], overrides: Partial<RequestV1Input>): Promise<ResponseV1[]> {
    await publishRaw(stack.producer, stack.topics.requests, ids.map((id) => ({ key: id, value: JSON.stringify(request(id, { params: { maxTokens: 40 }, ...overrides })) })));
    await stack.responses.waitFor((c) => ids.every((id) => c.byKey().has(id)), 60_000, ids.join(', '));
    return ids.map((id) => responseV1Schema.parse(stack.responses.byKey().get(id)![0].json));
  }

  it('trim: the oldest turns are dropped to fit the only window left, and the response says so', async () => {
    const [r] = await ask(['trim-1'], { class: 'clipped', messages: LONG_CONVERSATION });
    expect(r).toMatchObject({ status: 'ok', servedBy: { arm: 'small' }, reduced: { method: 'trim' } });
    expect(r.reduced!.fromTokens).toBeGreaterThan(8_000);
    expect(r.reduced!.toTokens).toBeLessThanOrEqual(Math.floor((8_000 - 40) * 0.9));
    // The simulator enforces the 8,000-token window: the call it answered was the trimmed one.
    const served = stack.sim.calls().filter((c) => c.requestId === 'trim-1');
    expect(served.map((c) => [c.model, c.outcome])).toEqual([['claude-haiku-4-5', 'ok']]);
    expect(served[0].inputTokens).toBeLessThan(8_000);
  });

  it('summarize: after the large-window arm fails, the summariser condenses the dropped turns (a real call, paid for) and the small arm answers', async () => {
    const [r] = await ask(['summary-1'], { class: 'notes', messages: LONG_CONVERSATION });
    expect(r).toMatchObject({ status: 'ok', servedBy: { arm: 'small' }, reduced: { method: 'summarize', summary: { arm: 'summariser' } } });
    expect(r.attempts.map((a) => [a.arm, a.outcome, a.role])).toEqual([
      ['big', 'server_error', 'first'],
      ['small', 'ok', 'fallback'],
    ]);
    const summaryCost = r.reduced!.summary!.costUsd;
    expect(summaryCost).toBeGreaterThan(0);
    expect(r.usage.costUsd).toBeCloseTo(r.attempts.reduce((sum, a) => sum + a.costUsd, 0) + summaryCost, 8);
    const calls = stack.sim.calls().filter((c) => c.requestId === 'summary-1');
    expect(calls.map((c) => c.model)).toEqual(['gpt-4o', 'gpt-4o-mini', 'claude-haiku-4-5']);
    expect(calls[1]).toMatchObject({ outcome: 'ok', status: 200 });
    const metrics = await (await fetch(`http://127.0.0.1:${stack.router.port}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_context_reductions_total\{class="notes",method="summarize",result="reduced"\} 1/);
    expect(metrics).toMatch(/switchyard_context_reductions_total\{class="clipped",method="trim",result="reduced"\} 1/);
  });

  it('a class that forbids reduction gets no_eligible_arm, with no provider call', async () => {
    const [r] = await ask(['strict-1'], { class: 'strict', messages: LONG_CONVERSATION });
    expect(r).toMatchObject({ status: 'failed', error: { kind: 'no_eligible_arm' } });
    expect(r.reduced).toBeUndefined();
    expect(stack.sim.calls().filter((c) => c.requestId === 'strict-1')).toEqual([]);
  });

  it('after the provider refuses a prompt the estimate said fitted (context_overflow), reduces it and tries the arm once more', async () => {
    const [r] = await ask(['dense-1'], { class: 'dense', messages: LONG_CONVERSATION });
    expect(r).toMatchObject({ status: 'ok', servedBy: { arm: 'optimist' }, reduced: { method: 'trim' } });
    expect(r.attempts.map((a) => [a.arm, a.outcome, a.role])).toEqual([
      ['optimist', 'context_overflow', 'first'],
      ['optimist', 'ok', 'retry'],
    ]);
    expect(stack.sim.calls().filter((c) => c.requestId === 'dense-1').map((c) => c.status)).toEqual([400, 200]);
  });

  it('a fallback answer that fails the guard is not published; the review topic has it with the failing verdict', async () => {
    // Three accepted answers from the first-choice arm to compare with.
    const warm = await ask(['guard-warm-1', 'guard-warm-2', 'guard-warm-3'], { class: 'guarded' });
    for (const r of warm) expect(r).toMatchObject({ status: 'ok', servedBy: { arm: 'first' } });
    stack.sim.patchModel('gpt-4.1-mini', { faults: { outage: true } });
    const [r] = await ask(['guard-1'], { class: 'guarded' });
    expect(r.status).toBe('failed');
    expect(r.output).toBeUndefined();
    expect(r.error?.kind).toBe('check_failed');
    expect(r.attempts.map((a) => [a.arm, a.outcome])).toEqual([
      ['first', 'server_error'],
      ['second', 'check_failed'],
    ]);
    await reviews.waitFor((c) => c.byKey().has('guard-1'), 30_000, 'the review record of guard-1');
    const review = fallbackReviewRecordSchema.parse(reviews.byKey().get('guard-1')![0].json);
    expect(review).toMatchObject({ id: 'guard-1', class: 'guarded', firstChoice: 'first', arm: 'second', published: false, guard: { method: 'similarity', result: 'fail', compared: 3 } });
    expect(review.guard!.score).toBeLessThan(0.99);
    expect(review.answer.length).toBeGreaterThan(0);
    // The summarised request's fallback answer (no guard on its class) is on the review topic too.
    expect(fallbackReviewRecordSchema.parse(reviews.byKey().get('summary-1')![0].json)).toMatchObject({ arm: 'small', published: true });
    expect(review.guard).toBeDefined();
    expect(reviews.byKey().has('guard-warm-1')).toBe(false);
  });
});
