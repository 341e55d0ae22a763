import Anthropic from '@anthropic-ai/sdk';
import OpenAI, { toFile } from 'openai';
import { startProviderSim, type ProviderSim } from './index';
import { instantConfig } from './test-support';

const chatLine = (customId: string, content: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o', messages: [{ role: 'user', content }], ...extra } });

async function readJsonl(response: Response): Promise<Record<string, unknown>[]> {
  return (await response.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('provider-sim: batch APIs through the official SDKs', () => {
  let sim: ProviderSim;
  let openai: OpenAI;
  let anthropic: Anthropic;
  let now = 0;

  const upload = async (lines: string[], name = 'requests.jsonl') =>
    openai.files.create({ file: await toFile(Buffer.from(lines.join('\n')), name), purpose: 'batch' });
  const submitOpenai = async (lines: string[]) =>
    openai.batches.create({ input_file_id: (await upload(lines)).id, endpoint: '/v1/chat/completions', completion_window: '24h' });
  const anthropicRequest = (customId: string, content: string, extra: Record<string, unknown> = {}) =>
    ({ custom_id: customId, params: { model: 'claude-haiku-4-5', max_tokens: 1024, messages: [{ role: 'user' as const, content }], ...extra } });
  const anthropicResults = async (id: string) => {
    const out: Anthropic.Messages.MessageBatchIndividualResponse[] = [];
    for await (const r of await anthropic.messages.batches.results(id)) out.push(r);
    return out;
  };

  beforeAll(async () => {
    // Latency scale 1 with a fake clock: batches take their drawn time, and the test moves the clock.
    sim = await startProviderSim({ config: { ...instantConfig(), latencyScale: 1 }, clock: () => now, batch: { completion: { medianMs: 60_000, p95Ms: 60_000 } } });
    openai = new OpenAI({ baseURL: sim.openaiBaseURL, apiKey: 'sk-test', maxRetries: 0 });
    anthropic = new Anthropic({ baseURL: sim.anthropicBaseURL, apiKey: 'sk-ant-test', maxRetries: 0, defaultHeaders: { 'x-api-key': 'sk-ant-test', authorization: null } });
  });
  afterAll(() => sim.close());
  beforeEach(() => {
    sim.setBatchSettings({ completion: { medianMs: 60_000, p95Ms: 60_000 }, failRate: 0, expireRate: 0, erroredRate: 0, expiredRate: 0 });
  });

  describe('OpenAI Files + Batch', () => {
    it('uploads a JSONL file, runs the batch over its drawn time, and serves output and error files', async () => {
      const file = await upload([chatLine('a', 'hello'), chatLine('b', 'world'), chatLine('bad', 'x', { max_tokens: 0 })]);
      expect(file).toMatchObject({ object: 'file', purpose: 'batch', filename: 'requests.jsonl', status: 'processed' });
      const created = await openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { job: 'nightly' } });
      expect(created).toMatchObject({ object: 'batch', status: 'validating', input_file_id: file.id, completion_window: '24h', output_file_id: null, metadata: { job: 'nightly' } });
      expect(created.id).toMatch(/^batch_/);

      now += 30_000;
      expect((await openai.batches.retrieve(created.id)).status).toBe('in_progress');
      now += 30_000;
      const done = await openai.batches.retrieve(created.id);
      expect(done).toMatchObject({ status: 'completed', request_counts: { total: 3, completed: 2, failed: 1 } });
      expect(done.completed_at).not.toBeNull();

      const output = await readJsonl(await openai.files.content(done.output_file_id!));
      expect(output.map((l) => l.custom_id).sort()).toEqual(['a', 'b']);
      expect(output[0]).toMatchObject({ response: { status_code: 200, body: { object: 'chat.completion', model: 'gpt-4o' } }, error: null });
      const errors = await readJsonl(await openai.files.content(done.error_file_id!));
      expect(errors).toEqual([expect.objectContaining({ custom_id: 'bad', response: expect.objectContaining({ status_code: 400, body: { error: expect.objectContaining({ param: 'max_tokens' }) } }) })]);
    });

    it('fails a batch whose file breaks the rules, with the offending lines', async () => {
      const created = await submitOpenai([chatLine('same', 'a'), chatLine('same', 'b'), JSON.stringify({ custom_id: 'c', method: 'POST', url: '/v1/embeddings', body: {} })]);
      const failed = await openai.batches.retrieve(created.id);
      expect(failed.status).toBe('failed');
      expect(failed.errors?.data?.map((e) => [e.code, e.line])).toEqual([['duplicate_custom_id', 2], ['mismatched_endpoint', 3]]);
    });

    it('refuses a non-JSONL batch upload and an unsupported completion window', async () => {
      await expect(upload([chatLine('a', 'x')], 'requests.csv')).rejects.toMatchObject({ status: 400 });
      const file = await upload([chatLine('a', 'x')]);
      await expect(openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '1h' as '24h' })).rejects.toMatchObject({ status: 400, param: 'completion_window' });
    });

    it('expires a batch forced by the control API: every request in the error file as batch_expired', async () => {
      const created = await submitOpenai([chatLine('a', 'x'), chatLine('b', 'y')]);
      expect(sim.forceBatch(created.id, 'expire')).toMatchObject({ status: 'expired' });
      const expired = await openai.batches.retrieve(created.id);
      expect(expired).toMatchObject({ status: 'expired', output_file_id: null, request_counts: { total: 2, completed: 0, failed: 2 } });
      const errors = await readJsonl(await openai.files.content(expired.error_file_id!));
      expect(errors.map((l) => [l.custom_id, (l.error as { code: string }).code])).toEqual([['a', 'batch_expired'], ['b', 'batch_expired']]);
    });

    it('cancels: cancelling, then cancelled with the requests as batch_cancelled', async () => {
      const created = await submitOpenai([chatLine('a', 'x')]);
      expect((await openai.batches.cancel(created.id)).status).toBe('cancelling');
      const cancelled = await openai.batches.retrieve(created.id);
      expect(cancelled.status).toBe('cancelled');
      const errors = await readJsonl(await openai.files.content(cancelled.error_file_id!));
      expect(errors[0]).toMatchObject({ custom_id: 'a', error: { code: 'batch_cancelled' } });
    });

    it('injects a failed batch and per-request errors', async () => {
      sim.setBatchSettings({ failRate: 1 });
      const failing = await submitOpenai([chatLine('a', 'x')]);
      now += 60_000;
      expect((await openai.batches.retrieve(failing.id)).status).toBe('failed');
      sim.setBatchSettings({ failRate: 0, erroredRate: 1 });
      const erroring = await submitOpenai([chatLine('a', 'x')]);
      now += 60_000;
      const done = await openai.batches.retrieve(erroring.id);
      expect(done).toMatchObject({ status: 'completed', output_file_id: null, request_counts: { completed: 0, failed: 1 } });
      const errors = await readJsonl(await openai.files.content(done.error_file_id!));
      expect(errors[0]).toMatchObject({ response: { status_code: 500, body: { error: { type: 'server_error' } } } });
    });

    it('wants Bearer auth in strict mode, as the live endpoints do', async () => {
      const res = await fetch(`${sim.openaiBaseURL}/batches`, { headers: { 'x-api-key': 'sk-test' } });
      expect(res.status).toBe(401);
    });
  });

  describe('Anthropic Message Batches', () => {
    it('creates, processes over the drawn time, and streams results from results_url', async () => {
      const created = await anthropic.messages.batches.create({
        requests: [anthropicRequest('r1', 'hello'), anthropicRequest('r2', 'bad', { temperature: 0.5, top_p: 0.5 })],
      });
      expect(created).toMatchObject({ type: 'message_batch', processing_status: 'in_progress', results_url: null, request_counts: { processing: 2, succeeded: 0 } });
      expect(created.id).toMatch(/^msgbatch_/);
      now += 59_000;
      expect((await anthropic.messages.batches.retrieve(created.id)).processing_status).toBe('in_progress');
      now += 1_000;
      const ended = await anthropic.messages.batches.retrieve(created.id);
      expect(ended).toMatchObject({ processing_status: 'ended', request_counts: { processing: 0, succeeded: 1, errored: 1, canceled: 0, expired: 0 } });
      expect(ended.results_url).toContain(`/anthropic/v1/messages/batches/${created.id}/results`);

      const results = await anthropicResults(created.id);
      const byId = Object.fromEntries(results.map((r) => [r.custom_id, r.result]));
      expect(byId.r1).toMatchObject({ type: 'succeeded', message: { type: 'message', role: 'assistant', model: 'claude-haiku-4-5', stop_reason: 'end_turn' } });
      expect(byId.r2).toMatchObject({ type: 'errored', error: { type: 'error', error: { type: 'invalid_request_error' } } });
    });

    it('refuses bad custom ids and duplicates at create', async () => {
      await expect(anthropic.messages.batches.create({ requests: [anthropicRequest('has space', 'x')] })).rejects.toMatchObject({ status: 400 });
      await expect(anthropic.messages.batches.create({ requests: [anthropicRequest('d', 'x'), anthropicRequest('d', 'y')] })).rejects.toMatchObject({ status: 400 });
      await expect(anthropic.messages.batches.create({ requests: [] })).rejects.toMatchObject({ status: 400 });
    });

    it('expires a batch forced by the control API: every result expired', async () => {
      const created = await anthropic.messages.batches.create({ requests: [anthropicRequest('a', 'x'), anthropicRequest('b', 'y')] });
      const res = await fetch(`${sim.url}/_sim/batches/${created.id}/expire`, { method: 'POST' });
      expect(res.status).toBe(200);
      expect(await anthropic.messages.batches.retrieve(created.id)).toMatchObject({ processing_status: 'ended', request_counts: { expired: 2 } });
      expect((await anthropicResults(created.id)).map((r) => r.result.type)).toEqual(['expired', 'expired']);
    });

    it('cancels: canceling, then ended with canceled results', async () => {
      const created = await anthropic.messages.batches.create({ requests: [anthropicRequest('a', 'x')] });
      const canceling = await anthropic.messages.batches.cancel(created.id);
      expect(canceling.processing_status).toBe('canceling');
      expect(canceling.cancel_initiated_at).not.toBeNull();
      expect(await anthropic.messages.batches.retrieve(created.id)).toMatchObject({ processing_status: 'ended', request_counts: { canceled: 1 } });
      expect((await anthropicResults(created.id))[0].result.type).toBe('canceled');
    });

    it('shows an injected batch failure as every request errored, and per-request expiry', async () => {
      sim.setBatchSettings({ failRate: 1 });
      const failing = await anthropic.messages.batches.create({ requests: [anthropicRequest('a', 'x')] });
      now += 60_000;
      expect((await anthropicResults(failing.id))[0].result).toMatchObject({ type: 'errored', error: { error: { type: 'api_error' } } });
      sim.setBatchSettings({ failRate: 0, expiredRate: 1 });
      const expiring = await anthropic.messages.batches.create({ requests: [anthropicRequest('a', 'x')] });
      now += 60_000;
      expect((await anthropicResults(expiring.id))[0].result.type).toBe('expired');
    });

    it('a batch whose drawn time exceeds the window expires at the window', async () => {
      sim.setBatchSettings({ completion: { medianMs: 60_000, p95Ms: 60_000 }, windowMs: 10_000 });
      const created = await anthropic.messages.batches.create({ requests: [anthropicRequest('a', 'x')] });
      now += 10_000;
      expect(await anthropic.messages.batches.retrieve(created.id)).toMatchObject({ processing_status: 'ended', request_counts: { expired: 1 } });
    });

    it('wants x-api-key and anthropic-version in strict mode', async () => {
      expect((await fetch(`${sim.anthropicBaseURL}/v1/messages/batches`, { headers: { authorization: 'Bearer sk-ant-test' } })).status).toBe(401);
      expect((await fetch(`${sim.anthropicBaseURL}/v1/messages/batches`, { headers: { 'x-api-key': 'sk-ant-test' } })).status).toBe(400);
    });
  });

  it('lists batches of both APIs on the control API', async () => {
    const res = await fetch(`${sim.url}/_sim/batches?api=anthropic`);
    const list = (await res.json()) as { api: string; status: string }[];
    expect(list.length).toBeGreaterThan(0);
    expect(list.every((b) => b.api === 'anthropic')).toBe(true);
  });
});
