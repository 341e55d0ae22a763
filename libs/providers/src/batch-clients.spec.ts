import { isProviderError, type BatchItemResult, type BatchPoll, type BatchRequest } from '@switchyard/core';
import { startProviderSim, type ProviderSim } from '../../../apps/provider-sim/src';
import { instantConfig } from '../../../apps/provider-sim/src/test-support';
import { AnthropicBatchClient } from './anthropic/anthropic-batch-client';
import { OpenAiBatchClient } from './openai/openai-batch-client';
import { caught, testArm } from './testing/fixtures';

const OPENAI_KEY = 'sk-batch-test';
const ANTHROPIC_KEY = 'sk-ant-batch-test';

/**
 * The batch clients against a running provider-sim (strict, keys enforced), through the official
 * SDKs end to end: submit, poll to the end on a moved clock, results as the live path reads them,
 * forced expiry, cancel, and classified failures of the batch calls themselves.
 */
describe('batch clients against the provider-sim batch APIs', () => {
  let sim: ProviderSim;
  let now = 0;
  let openai: OpenAiBatchClient;
  let anthropic: AnthropicBatchClient;
  const gpt = testArm({ id: 'openai-gpt-4o', provider: 'openai', providerKind: 'openai', model: 'gpt-4o' });
  const claude = testArm({ id: 'anthropic-haiku', provider: 'anthropic', providerKind: 'anthropic', model: 'claude-haiku-4-5' });
  const ask = (requestId: string, extra: Partial<BatchRequest> = {}): BatchRequest => ({ requestId, messages: [{ role: 'user', content: `question ${requestId}` }], ...extra });
  const byId = (poll: BatchPoll): Record<string, BatchItemResult> => {
    if (poll.state !== 'ended') throw new Error(`batch still ${poll.state}`);
    return Object.fromEntries(poll.results.map((r) => [r.requestId, r]));
  };

  beforeAll(async () => {
    sim = await startProviderSim({
      config: { ...instantConfig(), latencyScale: 1 },
      clock: () => now,
      apiKeys: [OPENAI_KEY, ANTHROPIC_KEY],
      batch: { completion: { medianMs: 60_000, p95Ms: 60_000 } },
    });
    openai = new OpenAiBatchClient({ name: 'openai', kind: 'openai', baseUrl: sim.openaiBaseURL, apiKey: OPENAI_KEY });
    anthropic = new AnthropicBatchClient({ name: 'anthropic', kind: 'anthropic', baseUrl: sim.anthropicBaseURL, apiKey: ANTHROPIC_KEY });
  });
  afterAll(async () => {
    await Promise.all([openai.close(), anthropic.close()]);
    await sim.close();
  });
  beforeEach(() => sim.setBatchSettings({ failRate: 0, expireRate: 0, erroredRate: 0, expiredRate: 0 }));

  it('OpenAI: submits a JSONL batch, polls it to the end, and reads replies and per-request errors', async () => {
    const id = await openai.submit(gpt, [ask('q1'), ask('q2', { maxTokens: 7 }), ask('q3', { maxTokens: 100_000 })]);
    expect(id).toMatch(/^batch_/);
    expect(await openai.poll(gpt, id)).toEqual({ state: 'in_progress' });
    now += 60_000;
    const poll = await openai.poll(gpt, id);
    expect(poll).toMatchObject({ state: 'ended', end: 'completed' });
    const results = byId(poll);
    expect(results.q1).toMatchObject({ outcome: 'succeeded', reply: { finishReason: 'stop', model: 'gpt-4o', usage: { outputTokens: 50 } } });
    expect(results.q2).toMatchObject({ outcome: 'succeeded', reply: { finishReason: 'length', usage: { outputTokens: 7 } } });
    const q3 = results.q3;
    expect(q3.outcome).toBe('errored');
    expect(q3.outcome === 'errored' && isProviderError(q3.error) && [q3.error.kind, q3.error.status]).toEqual(['bad_request', 400]);
    // Batched requests are not live calls: none shows in the simulator's call log.
    expect(sim.calls()).toEqual([]);
  });

  it('Anthropic: submits a message batch, polls it to the end, and reads JSON mode as the live path does', async () => {
    const json = ask('j1', { responseFormat: { type: 'json_object' } });
    const id = await anthropic.submit(claude, [ask('a1'), json]);
    expect(id).toMatch(/^msgbatch_/);
    expect(await anthropic.poll(claude, id)).toEqual({ state: 'in_progress' });
    now += 60_000;
    const results = byId(await anthropic.poll(claude, id, { requestOf: (rid) => (rid === 'j1' ? json : undefined) }));
    expect(results.a1).toMatchObject({ outcome: 'succeeded', reply: { finishReason: 'stop', model: 'claude-haiku-4-5', usage: { outputTokens: 60 } } });
    const j1 = results.j1;
    expect(j1.outcome).toBe('succeeded');
    expect(j1.outcome === 'succeeded' && JSON.parse(j1.reply.text)).toEqual({ answer: expect.any(String) });
  });

  it('a forced expiry ends both APIs\' batches expired, every request without an answer', async () => {
    const oid = await openai.submit(gpt, [ask('e1'), ask('e2')]);
    const aid = await anthropic.submit(claude, [ask('e1'), ask('e2')]);
    sim.forceBatch(oid, 'expire');
    sim.forceBatch(aid, 'expire');
    for (const poll of [await openai.poll(gpt, oid), await anthropic.poll(claude, aid)]) {
      expect(poll).toMatchObject({ state: 'ended', end: 'expired' });
      expect(Object.values(byId(poll)).map((r) => r.outcome)).toEqual(['expired', 'expired']);
    }
  });

  it('cancel: both APIs end cancelled with the requests canceled', async () => {
    const oid = await openai.submit(gpt, [ask('c1')]);
    const aid = await anthropic.submit(claude, [ask('c1')]);
    await openai.cancel(gpt, oid);
    await anthropic.cancel(claude, aid);
    for (const poll of [await openai.poll(gpt, oid), await anthropic.poll(claude, aid)]) {
      expect(poll).toMatchObject({ state: 'ended', end: 'cancelled' });
      expect(byId(poll).c1.outcome).toBe('canceled');
    }
  });

  it('injected failures: a failed OpenAI batch has no results; errored requests are classified server errors', async () => {
    sim.setBatchSettings({ failRate: 1 });
    const failed = await openai.submit(gpt, [ask('f1')]);
    now += 60_000;
    expect(await openai.poll(gpt, failed)).toEqual({ state: 'ended', end: 'failed', results: [] });
    sim.setBatchSettings({ failRate: 0, erroredRate: 1 });
    const aid = await anthropic.submit(claude, [ask('s1')]);
    now += 60_000;
    const s1 = byId(await anthropic.poll(claude, aid)).s1;
    expect(s1.outcome === 'errored' && [s1.error.kind, s1.error.status, s1.error.retryable]).toEqual(['server_error', 500, true]);
  });

  it('failures of the batch calls themselves are classified ProviderErrors', async () => {
    expect(await caught(() => openai.poll(gpt, 'batch_unknown'))).toMatchObject({ kind: 'bad_request', status: 404 });
    expect(await caught(() => anthropic.poll(claude, 'msgbatch_unknown'))).toMatchObject({ kind: 'bad_request', status: 404 });
    const wrongKey = new OpenAiBatchClient({ name: 'openai', kind: 'openai', baseUrl: sim.openaiBaseURL, apiKey: 'sk-wrong' });
    expect(await caught(() => wrongKey.submit(gpt, [ask('k1')]))).toMatchObject({ kind: 'auth', status: 401 });
    await wrongKey.close();
    // Anthropic's custom_id rule is checked before anything is sent.
    expect(await caught(() => anthropic.submit(claude, [ask('not valid:id')]))).toMatchObject({ kind: 'bad_request' });
  });
});
