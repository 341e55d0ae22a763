import { ProviderError, isProviderError } from '@switchyard/core';
import { FakeServer, ScriptedReply, closedPort, startFakeServer } from '../testing/fake-http-server';
import { caught, testArm, testCall } from '../testing/fixtures';
import { ANTHROPIC_DEFAULT_MAX_TOKENS_CAP, AnthropicProvider, mapStopReason } from './anthropic-provider';

const API_KEY = 'sk-ant-api03-SECRETSECRETSECRET-abcd';

function message(overrides: Record<string, unknown> = {}) {
  return {
    id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
    type: 'message',
    role: 'assistant',
    model: 'claude-haiku-4-5-20251001',
    content: [{ type: 'text', text: 'Hi there.' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 21, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 3 },
    ...overrides,
  };
}

const anthropicError = (type: string, msg: string) => ({ type: 'error', error: { type, message: msg }, request_id: 'req_011CSHoEeqs5C35K2UUqR7Fy' });

describe('AnthropicProvider (real @anthropic-ai/sdk against an in-process HTTP server)', () => {
  let server: FakeServer;
  let reply: ScriptedReply;
  let provider: AnthropicProvider;
  const arm = testArm({ providerKind: 'anthropic', model: 'claude-haiku-4-5', maxOutputTokens: 64_000 });

  beforeEach(async () => {
    reply = { status: 200, body: message() };
    server = await startFakeServer(() => reply);
    provider = new AnthropicProvider({ name: 'anthropic', kind: 'anthropic', baseUrl: server.url, apiKey: API_KEY });
  });
  afterEach(async () => {
    await provider.close();
    await server.close();
  });

  it('maps a message; system prompt goes to `system`; correlation headers arrive', async () => {
    const result = await provider.call(testCall(arm, { maxTokens: 200, stop: ['END'] }));
    expect(result).toEqual({
      text: 'Hi there.',
      finishReason: 'stop',
      usage: { inputTokens: 24, outputTokens: 5 },
      model: 'claude-haiku-4-5-20251001',
    });
    expect(server.requests).toHaveLength(1);
    const [req] = server.requests;
    expect(req.url).toBe('/v1/messages');
    // @anthropic-ai/sdk 1.x sends the key as a bearer token (0.x used x-api-key).
    expect(req.headers['x-api-key'] ?? req.headers['authorization']).toContain(API_KEY);
    expect(req.headers['anthropic-version']).toBeDefined();
    expect(req.headers['x-switchyard-request-id']).toBe('req-123');
    expect(req.headers['x-switchyard-attempt']).toBe('2');
    expect(req.body).toEqual({
      model: 'claude-haiku-4-5',
      max_tokens: 200,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Hello?' }],
      stop_sequences: ['END'],
    });
  });

  it('defaults max_tokens to the arm maximum, capped', async () => {
    await provider.call(testCall(arm));
    expect((server.requests[0].body as { max_tokens: number }).max_tokens).toBe(ANTHROPIC_DEFAULT_MAX_TOKENS_CAP);
    await provider.call(testCall({ ...arm, maxOutputTokens: 300 }));
    expect((server.requests[1].body as { max_tokens: number }).max_tokens).toBe(300);
  });

  it('joins text blocks and omits `system` when there is none', async () => {
    reply = { status: 200, body: message({ content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }) };
    const result = await provider.call(testCall(arm, { messages: [{ role: 'user', content: 'x' }] }));
    expect(result.text).toBe('ab');
    expect(server.requests[0].body).not.toHaveProperty('system');
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
  ])('stop_reason %s → finishReason %s', async (stopReason, finishReason) => {
    reply = { status: 200, body: message({ stop_reason: stopReason }) };
    expect((await provider.call(testCall(arm))).finishReason).toBe(finishReason);
    expect(mapStopReason(stopReason)).toBe(finishReason);
  });

  it('stop_reason refusal → content_policy', async () => {
    reply = { status: 200, body: message({ stop_reason: 'refusal', content: [] }) };
    expect((await caught(() => provider.call(testCall(arm)))).kind).toBe('content_policy');
  });

  const errorCases: [string, ScriptedReply, Partial<ProviderError> & { messageContains?: string }][] = [
    [
      '429 rate_limit_error with retry-after',
      {
        status: 429,
        headers: { 'retry-after': '7', 'anthropic-ratelimit-requests-remaining': '0' },
        body: anthropicError(
          'rate_limit_error',
          'This request would exceed the rate limit for your organization of 50 requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.',
        ),
      },
      { kind: 'rate_limited', status: 429, retryAfterMs: 7000, messageContains: 'rate_limit_error' },
    ],
    ['529 overloaded_error', { status: 529, body: anthropicError('overloaded_error', 'Overloaded') }, { kind: 'server_error', status: 529 }],
    ['500 api_error', { status: 500, body: anthropicError('api_error', 'Internal server error') }, { kind: 'server_error', status: 500 }],
    ['503', { status: 503, body: anthropicError('api_error', 'Service unavailable') }, { kind: 'server_error', status: 503 }],
    [
      '400 prompt is too long',
      { status: 400, body: anthropicError('invalid_request_error', 'prompt is too long: 210000 tokens > 200000 maximum') },
      { kind: 'context_overflow', status: 400, messageContains: 'prompt is too long: 210000 tokens > 200000 maximum' },
    ],
    [
      '400 input + max_tokens exceed context limit',
      {
        status: 400,
        body: anthropicError(
          'invalid_request_error',
          'input length and `max_tokens` exceed context limit: 197626 + 8192 > 200000, decrease input length or `max_tokens` and try again',
        ),
      },
      { kind: 'context_overflow', status: 400 },
    ],
    [
      '400 max_tokens above the model limit',
      {
        status: 400,
        body: anthropicError('invalid_request_error', 'max_tokens: 100000 > 64000, which is the maximum allowed number of output tokens for claude-haiku-4-5'),
      },
      { kind: 'bad_request', status: 400 },
    ],
    [
      '400 other invalid_request_error',
      { status: 400, body: anthropicError('invalid_request_error', 'messages: roles must alternate between "user" and "assistant"') },
      { kind: 'bad_request', status: 400 },
    ],
    [
      '401 authentication_error',
      { status: 401, body: anthropicError('authentication_error', 'invalid x-api-key') },
      { kind: 'auth', status: 401, messageContains: 'invalid x-api-key' },
    ],
    [
      '403 permission_error',
      { status: 403, body: anthropicError('permission_error', 'Your API key does not have permission to use the specified resource.') },
      { kind: 'auth', status: 403 },
    ],
    ['404 not_found_error', { status: 404, body: anthropicError('not_found_error', 'model: claude-9') }, { kind: 'bad_request', status: 404 }],
    [
      '413 request_too_large',
      { status: 413, body: anthropicError('request_too_large', 'Request exceeds the maximum allowed number of bytes.') },
      { kind: 'bad_request', status: 413 },
    ],
  ];

  it.each(errorCases)('%s → classified, one HTTP request, no key in the message', async (_name, scripted, expected) => {
    reply = scripted;
    const error = await caught(() => provider.call(testCall(arm)));
    expect(isProviderError(error)).toBe(true);
    const { messageContains, ...traits } = expected;
    expect(error).toMatchObject(traits);
    if (messageContains) expect(error.message).toContain(messageContains);
    expect(error.message).toMatch(/^anthropic: HTTP \d{3}/);
    expect(error.message).not.toContain('SECRET');
    expect(server.requests).toHaveLength(1);
  });

  it('hung server → timeout_read within the total timeout', async () => {
    reply = { hang: true };
    const started = Date.now();
    const error = await caught(() => provider.call(testCall({ ...arm, timeouts: { connectMs: 1000, totalMs: 300 } })));
    expect(error.kind).toBe('timeout_read');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(server.requests).toHaveLength(1);
  });

  it('headers sent, body never finished → timeout_read within the total timeout', async () => {
    // The Anthropic SDK's own timeout stops at the headers; our total timer bounds the body.
    reply = { hangBody: true };
    const started = Date.now();
    const error = await caught(() => provider.call(testCall({ ...arm, timeouts: { connectMs: 1000, totalMs: 300 } })));
    expect(error.kind).toBe('timeout_read');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('connection refused → network', async () => {
    const port = await closedPort();
    const refused = new AnthropicProvider({ name: 'anthropic', kind: 'anthropic', baseUrl: `http://127.0.0.1:${port}`, apiKey: API_KEY });
    try {
      const error = await caught(() => refused.call(testCall(arm)));
      expect(error.kind).toBe('network');
      expect(error.message).toContain('ECONNREFUSED');
    } finally {
      await refused.close();
    }
  });

  it('caller deadline → deadline_exceeded', async () => {
    reply = { hang: true };
    const error = await caught(() => provider.call(testCall(arm, { signal: AbortSignal.timeout(100) })));
    expect(error.kind).toBe('deadline_exceeded');
  });

  it('refuses an endpoint without apiKey', () => {
    expect(() => new AnthropicProvider({ name: 'a', kind: 'anthropic' })).toThrow(/needs an apiKey/);
  });
});
