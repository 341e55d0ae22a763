import { startProviderSim, type ProviderSim } from './server';
import { instantConfig } from './test-support';

const MESSAGE = { model: 'claude-haiku-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'hello there' }] };
const CHAT = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hello there' }] };

describe('provider-sim strict mode (the default)', () => {
  let sim: ProviderSim;
  beforeAll(async () => {
    sim = await startProviderSim({ config: instantConfig(), apiKeys: ['sk-good-key'] });
  });
  afterAll(() => sim.close());

  const anthropic = (headers: Record<string, string>, body: unknown = MESSAGE) =>
    fetch(`${sim.anthropicBaseURL}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const openai = (headers: Record<string, string>, body: unknown = CHAT) =>
    fetch(`${sim.openaiBaseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const ANTHROPIC_OK = { 'x-api-key': 'sk-good-key', 'anthropic-version': '2023-06-01' };

  it('Anthropic: x-api-key is required (a Bearer token is not enough), in Anthropic’s error shape', async () => {
    const res = await anthropic({ authorization: 'Bearer sk-good-key', 'anthropic-version': '2023-06-01' });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error', message: 'x-api-key header is required' } });
    expect(sim.calls().at(-1)).toMatchObject({ status: 401, fault: 'missing_api_key', auth: 'bearer' });
  });

  it('Anthropic: a key the sim was not given is 401; anthropic-version is required (400)', async () => {
    expect((await anthropic({ 'x-api-key': 'sk-other', 'anthropic-version': '2023-06-01' })).status).toBe(401);
    const res = await anthropic({ 'x-api-key': 'sk-good-key' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' } });
  });

  it('Anthropic: answers with x-api-key and echoes temperature, top_p and stop in the call log', async () => {
    expect((await anthropic(ANTHROPIC_OK, { ...MESSAGE, temperature: 0.4, stop_sequences: ['END'] })).status).toBe(200);
    expect(sim.calls().at(-1)).toMatchObject({ status: 200, auth: 'x-api-key', temperature: 0.4, topP: null, stop: ['END'] });
    expect((await anthropic(ANTHROPIC_OK, { ...MESSAGE, top_p: 0.8 })).status).toBe(200);
    expect(sim.calls().at(-1)).toMatchObject({ temperature: null, topP: 0.8 });
  });

  it('Anthropic: unknown fields, temperature with top_p, and temperature above 1 are invalid_request_error', async () => {
    for (const body of [{ ...MESSAGE, response_format: { type: 'json_object' } }, { ...MESSAGE, temperature: 0.5, top_p: 0.5 }, { ...MESSAGE, temperature: 1.5 }]) {
      const res = await anthropic(ANTHROPIC_OK, body);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    }
  });

  it('Anthropic: forced tool use answers with that tool’s input as JSON', async () => {
    const res = await anthropic(ANTHROPIC_OK, { ...MESSAGE, max_tokens: 500, tools: [{ name: 'json_answer', input_schema: { type: 'object' } }], tool_choice: { type: 'tool', name: 'json_answer' } });
    const body = (await res.json()) as { content: { type: string; name: string; input: unknown }[]; stop_reason: string };
    expect(body.stop_reason).toBe('tool_use');
    expect(body.content[0]).toMatchObject({ type: 'tool_use', name: 'json_answer', input: { answer: expect.any(String) } });
    expect(sim.calls().at(-1)).toMatchObject({ jsonMode: 'forced_tool' });
  });

  it('OpenAI: Authorization: Bearer is required, in OpenAI’s error shape; unknown fields are refused', async () => {
    const missing = await openai({ 'x-api-key': 'sk-good-key' });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: { type: 'invalid_request_error', message: expect.stringContaining("You didn't provide an API key") } });
    const wrong = await openai({ authorization: 'Bearer sk-wrong' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: { code: 'invalid_api_key' } });
    const unknown = await openai({ authorization: 'Bearer sk-good-key' }, { ...CHAT, temprature: 0.2 });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ error: { type: 'invalid_request_error', message: 'Unrecognized request argument supplied: temprature' } });
    const ok = await openai({ authorization: 'Bearer sk-good-key' }, { ...CHAT, temperature: 0.2, top_p: 0.9, stop: ['x'], seed: 1, user: 'u', metadata: {}, stream_options: null });
    expect(ok.status).toBe(200);
    expect(sim.calls().at(-1)).toMatchObject({ auth: 'bearer', temperature: 0.2, topP: 0.9, stop: ['x'] });
  });
});

describe('provider-sim with strict: false', () => {
  it('accepts any auth header and unknown fields', async () => {
    const sim = await startProviderSim({ config: instantConfig(), strict: false });
    try {
      const res = await fetch(`${sim.anthropicBaseURL}/v1/messages`, { method: 'POST', headers: { authorization: 'Bearer k' }, body: JSON.stringify({ ...MESSAGE, extra: 1 }) });
      expect(res.status).toBe(200);
      expect(sim.config().strict).toBe(false);
    } finally {
      await sim.close();
    }
  });
});
