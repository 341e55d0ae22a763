import { FakeServer, ScriptedReply, startFakeServer } from '../testing/fake-http-server';
import { caught, testArm, testCall } from '../testing/fixtures';
import { OpenAiCompatibleProvider, PLACEHOLDER_API_KEY } from './openai-compatible-provider';

describe('OpenAiCompatibleProvider (vLLM / Ollama through the openai SDK)', () => {
  let server: FakeServer;
  let reply: ScriptedReply;
  let provider: OpenAiCompatibleProvider;
  const arm = testArm({ providerKind: 'openai-compatible', model: 'meta-llama/Llama-3.1-8B-Instruct', provider: 'local' });

  beforeEach(async () => {
    reply = {
      status: 200,
      body: {
        id: 'cmpl-1',
        object: 'chat.completion',
        created: 1,
        model: 'meta-llama/Llama-3.1-8B-Instruct',
        choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'length' }],
        usage: { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 },
      },
    };
    server = await startFakeServer(() => reply);
    provider = new OpenAiCompatibleProvider({ name: 'local', kind: 'openai-compatible', baseUrl: `${server.url}/v1` });
  });
  afterEach(async () => {
    await provider.close();
    await server.close();
  });

  it('works without an API key (placeholder) and sends max_tokens', async () => {
    const result = await provider.call(testCall(arm, { maxTokens: 8 }));
    expect(result).toEqual({ text: 'ok', finishReason: 'length', usage: { inputTokens: 12, outputTokens: 8 }, model: arm.model });
    const [req] = server.requests;
    expect(req.url).toBe('/v1/chat/completions');
    expect(req.headers['authorization']).toBe(`Bearer ${PLACEHOLDER_API_KEY}`);
    expect(req.headers['x-switchyard-request-id']).toBe('req-123');
    expect(req.headers['x-switchyard-attempt']).toBe('2');
    expect(req.body).toMatchObject({ model: arm.model, max_tokens: 8 });
    expect(req.body).not.toHaveProperty('max_completion_tokens');
  });

  it('sends configured headers and a configured key', async () => {
    const keyed = new OpenAiCompatibleProvider({
      name: 'gw',
      kind: 'openai-compatible',
      baseUrl: `${server.url}/v1`,
      apiKey: 'local-key-123456',
      headers: { 'x-tenant': 'acme' },
    });
    try {
      await keyed.call(testCall(arm));
      expect(server.requests[0].headers['authorization']).toBe('Bearer local-key-123456');
      expect(server.requests[0].headers['x-tenant']).toBe('acme');
    } finally {
      await keyed.close();
    }
  });

  it('tolerates a reply without usage', async () => {
    reply = { status: 200, body: { id: 'x', object: 'chat.completion', created: 1, model: '', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }] } };
    expect(await provider.call(testCall(arm))).toEqual({ text: 'hi', finishReason: 'stop', usage: { inputTokens: 0, outputTokens: 0 }, model: arm.model });
  });

  it("vLLM's top-level error body (no `error` wrapper): context overflow is still recognised", async () => {
    reply = {
      status: 400,
      body: {
        object: 'error',
        message:
          "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens (8000 in the messages, 1000 in the completion). Please reduce the length of the messages or completion.",
        type: 'BadRequestError',
        param: null,
        code: 400,
      },
    };
    const error = await caught(() => provider.call(testCall(arm)));
    expect(error.kind).toBe('context_overflow');
    expect(error.message).toContain('maximum context length is 8192 tokens');
    expect(server.requests).toHaveLength(1);
  });

  it("Ollama's string error body: 404 model not found → bad_request with the message", async () => {
    reply = { status: 404, body: { error: 'model "llama9" not found, try pulling it first' } };
    const error = await caught(() => provider.call(testCall(arm)));
    expect(error.kind).toBe('bad_request');
    expect(error.message).toContain('model "llama9" not found');
  });

  it('500 from a local server → server_error, one request', async () => {
    reply = { status: 500, body: { object: 'error', message: 'CUDA out of memory', type: 'InternalServerError', code: 500 } };
    const error = await caught(() => provider.call(testCall(arm)));
    expect(error.kind).toBe('server_error');
    expect(error.message).toContain('CUDA out of memory');
    expect(server.requests).toHaveLength(1);
  });

  it('requires a baseUrl', () => {
    expect(() => new OpenAiCompatibleProvider({ name: 'x', kind: 'openai-compatible' })).toThrow(/needs a baseUrl/);
  });
});
