import { ProviderError, isProviderError } from '@switchyard/core';
import {
  FakeServer,
  ScriptedReply,
  closedPort,
  hasPython3,
  startBlackholeListener,
  startFakeServer,
} from '../testing/fake-http-server';
import { caught, testArm, testCall } from '../testing/fixtures';
import { OpenAiProvider } from './openai-provider';

const API_KEY = 'sk-test-SECRETSECRETSECRET1234';

function completion(overrides: Record<string, unknown> = {}, choice: Record<string, unknown> = {}) {
  return {
    id: 'chatcmpl-abc',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'gpt-4o-2024-08-06',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'Hi there.', refusal: null },
        logprobs: null,
        finish_reason: 'stop',
        ...choice,
      },
    ],
    usage: { prompt_tokens: 19, completion_tokens: 4, total_tokens: 23 },
    ...overrides,
  };
}

const openAiError = (message: string, type: string, code: string | null, param: string | null = null) => ({
  error: { message, type, param, code },
});

describe('OpenAiProvider (real openai SDK against an in-process HTTP server)', () => {
  let server: FakeServer;
  let reply: ScriptedReply;
  let provider: OpenAiProvider;

  beforeEach(async () => {
    reply = { status: 200, body: completion() };
    server = await startFakeServer(() => reply);
    provider = new OpenAiProvider({ name: 'openai', kind: 'openai', baseUrl: `${server.url}/v1`, apiKey: API_KEY });
  });
  afterEach(async () => {
    await provider.close();
    await server.close();
  });

  it('maps a completion and sends model, messages, limits and correlation headers', async () => {
    const arm = testArm();
    const result = await provider.call(testCall(arm, { maxTokens: 50, temperature: 0.2, stop: ['\n\n'] }));

    expect(result).toEqual({
      text: 'Hi there.',
      finishReason: 'stop',
      usage: { inputTokens: 19, outputTokens: 4 },
      model: 'gpt-4o-2024-08-06',
    });
    expect(server.requests).toHaveLength(1);
    const [req] = server.requests;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/chat/completions');
    expect(req.headers['x-switchyard-request-id']).toBe('req-123');
    expect(req.headers['x-switchyard-attempt']).toBe('2');
    expect(req.headers['authorization']).toBe(`Bearer ${API_KEY}`);
    expect(req.body).toEqual({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello?' },
      ],
      max_completion_tokens: 50,
      temperature: 0.2,
      stop: ['\n\n'],
    });
  });

  it('returns finish_reason length as a reply (the router decides about continuation)', async () => {
    reply = { status: 200, body: completion({}, { finish_reason: 'length' }) };
    const result = await provider.call(testCall(testArm()));
    expect(result.finishReason).toBe('length');
    expect(result.text).toBe('Hi there.');
  });

  it('throws content_policy for a 200 with finish_reason content_filter', async () => {
    reply = { status: 200, body: completion({}, { finish_reason: 'content_filter', message: { role: 'assistant', content: '' } }) };
    const error = await caught(() => provider.call(testCall(testArm())));
    expect(isProviderError(error)).toBe(true);
    expect(error.kind).toBe('content_policy');
  });

  it('throws content_policy for a refusal', async () => {
    reply = {
      status: 200,
      body: completion({}, { message: { role: 'assistant', content: null, refusal: "I'm sorry, I can't help with that." } }),
    };
    expect((await caught(() => provider.call(testCall(testArm())))).kind).toBe('content_policy');
  });

  it('treats a 200 without choices as server_error', async () => {
    reply = { status: 200, body: completion({ choices: [] }) };
    expect((await caught(() => provider.call(testCall(testArm())))).kind).toBe('server_error');
  });

  const errorCases: [string, ScriptedReply, Partial<ProviderError> & { messageContains?: string }][] = [
    [
      '429 rate limit with retry-after seconds',
      {
        status: 429,
        headers: { 'retry-after': '2', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1s' },
        body: openAiError(
          'Rate limit reached for gpt-4o in organization org-abc on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms.',
          'requests',
          'rate_limit_exceeded',
        ),
      },
      { kind: 'rate_limited', status: 429, retryAfterMs: 2000, messageContains: 'Rate limit reached for gpt-4o' },
    ],
    [
      '429 with retry-after-ms',
      { status: 429, headers: { 'retry-after-ms': '1500', 'retry-after': '2' }, body: openAiError('Rate limit reached', 'tokens', 'rate_limit_exceeded') },
      { kind: 'rate_limited', retryAfterMs: 1500 },
    ],
    [
      '429 without retry-after: reset of the exhausted bucket',
      {
        status: 429,
        headers: { 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '6m0s', 'x-ratelimit-remaining-requests': '10' },
        body: openAiError('Rate limit reached for gpt-4o on tokens per min (TPM)', 'tokens', 'rate_limit_exceeded'),
      },
      { kind: 'rate_limited', retryAfterMs: 360_000 },
    ],
    [
      '429 insufficient_quota',
      {
        status: 429,
        body: openAiError('You exceeded your current quota, please check your plan and billing details.', 'insufficient_quota', 'insufficient_quota'),
      },
      { kind: 'rate_limited', status: 429 },
    ],
    [
      '400 context_length_exceeded',
      {
        status: 400,
        body: openAiError(
          "This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens. Please reduce the length of the messages.",
          'invalid_request_error',
          'context_length_exceeded',
          'messages',
        ),
      },
      { kind: 'context_overflow', status: 400, messageContains: 'maximum context length' },
    ],
    [
      '400 content_policy_violation',
      {
        status: 400,
        body: openAiError(
          'Your request was rejected as a result of our safety system.',
          'invalid_request_error',
          'content_policy_violation',
        ),
      },
      { kind: 'content_policy', status: 400 },
    ],
    [
      '400 Azure content_filter',
      {
        status: 400,
        body: openAiError(
          "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
          null as unknown as string,
          'content_filter',
          'prompt',
        ),
      },
      { kind: 'content_policy' },
    ],
    [
      '400 other invalid_request_error',
      {
        status: 400,
        body: openAiError("Invalid value for 'temperature': must be between 0 and 2.", 'invalid_request_error', 'invalid_value', 'temperature'),
      },
      { kind: 'bad_request', status: 400 },
    ],
    [
      '401 invalid_api_key',
      {
        status: 401,
        body: openAiError(
          'Incorrect API key provided: sk-test-********************1234. You can find your API key at https://platform.openai.com/account/api-keys.',
          'invalid_request_error',
          'invalid_api_key',
        ),
      },
      { kind: 'auth', status: 401, messageContains: 'Incorrect API key provided' },
    ],
    [
      '403 unsupported_country_region_territory',
      { status: 403, body: openAiError('Country, region, or territory not supported', 'request_forbidden', 'unsupported_country_region_territory') },
      { kind: 'auth', status: 403 },
    ],
    [
      '404 model_not_found',
      {
        status: 404,
        body: openAiError('The model `gpt-9` does not exist or you do not have access to it.', 'invalid_request_error', 'model_not_found'),
      },
      { kind: 'bad_request', status: 404 },
    ],
    ['422', { status: 422, body: openAiError('Unprocessable', 'invalid_request_error', null) }, { kind: 'bad_request', status: 422 }],
    [
      '500 server_error',
      {
        status: 500,
        headers: { 'x-should-retry': 'true' },
        body: openAiError('The server had an error while processing your request. Sorry about that!', 'server_error', null),
      },
      { kind: 'server_error', status: 500 },
    ],
    ['502 HTML from a proxy', { status: 502, body: '<html><body>502 Bad Gateway</body></html>' }, { kind: 'server_error', status: 502 }],
    [
      '503 with retry-after',
      { status: 503, headers: { 'retry-after': '5' }, body: openAiError('The engine is currently overloaded, please try again later.', 'server_error', null) },
      { kind: 'server_error', status: 503, retryAfterMs: 5000 },
    ],
    ['504', { status: 504, body: openAiError('Gateway timeout.', 'server_error', null) }, { kind: 'server_error', status: 504 }],
  ];

  it.each(errorCases)('%s → classified, one HTTP request, no key in the message', async (_name, scripted, expected) => {
    reply = scripted;
    const error = await caught(() => provider.call(testCall(testArm())));
    expect(isProviderError(error)).toBe(true);
    const { messageContains, ...traits } = expected;
    expect(error).toMatchObject(traits);
    if (messageContains) expect(error.message).toContain(messageContains);
    expect(error.message).toMatch(/^openai: HTTP \d{3}/);
    expect(error.message).not.toContain(API_KEY);
    expect(error.message).not.toContain('SECRET');
    expect(error.message).not.toMatch(/sk-test-\*/); // even the masked key is redacted
    // The SDK would retry 429/5xx (and obeys x-should-retry): exactly one request must reach the server.
    expect(server.requests).toHaveLength(1);
  });

  it('hung server → timeout_read within the total timeout', async () => {
    reply = { hang: true };
    const started = Date.now();
    const error = await caught(() => provider.call(testCall(testArm({ timeouts: { connectMs: 1000, totalMs: 300 } }))));
    const elapsed = Date.now() - started;
    expect(error.kind).toBe('timeout_read');
    expect(error.message).toContain('300 ms');
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(1500);
    expect(server.requests).toHaveLength(1);
  });

  it('headers sent, body never finished → timeout_read within the total timeout', async () => {
    reply = { hangBody: true };
    const started = Date.now();
    const error = await caught(() => provider.call(testCall(testArm({ timeouts: { connectMs: 1000, totalMs: 300 } }))));
    expect(error.kind).toBe('timeout_read');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('socket destroyed by the server → network', async () => {
    reply = { destroy: true };
    const error = await caught(() => provider.call(testCall(testArm())));
    expect(error.kind).toBe('network');
    expect(server.requests).toHaveLength(1);
  });

  it('connection refused → network', async () => {
    const port = await closedPort();
    const refused = new OpenAiProvider({ name: 'openai', kind: 'openai', baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: API_KEY });
    try {
      const error = await caught(() => refused.call(testCall(testArm())));
      expect(error.kind).toBe('network');
      expect(error.message).toContain('ECONNREFUSED');
      expect(error.message).not.toContain(API_KEY);
    } finally {
      await refused.close();
    }
  });

  (hasPython3() ? it : it.skip)('TCP connect that never completes → timeout_connect after connectMs', async () => {
    const blackhole = await startBlackholeListener();
    const stuck = new OpenAiProvider({ name: 'openai', kind: 'openai', baseUrl: `http://127.0.0.1:${blackhole.port}/v1`, apiKey: API_KEY });
    try {
      const started = Date.now();
      const error = await caught(() => stuck.call(testCall(testArm({ timeouts: { connectMs: 200, totalMs: 3000 } }))));
      const elapsed = Date.now() - started;
      expect(error.kind).toBe('timeout_connect');
      // enforced by the endpoint's undici Agent (connect.timeout = connectMs)
      expect(error.message).toBe('openai: no connection within 200 ms (UND_ERR_CONNECT_TIMEOUT)');
      expect(elapsed).toBeGreaterThanOrEqual(190);
      expect(elapsed).toBeLessThan(1500);
    } finally {
      await stuck.close();
      await blackhole.close();
    }
  });

  describe('caller abort', () => {
    beforeEach(() => {
      reply = { hang: true };
    });

    it('deadline (AbortSignal.timeout) → deadline_exceeded, not timeout_read', async () => {
      const error = await caught(() => provider.call(testCall(testArm(), { signal: AbortSignal.timeout(100) })));
      expect(error.kind).toBe('deadline_exceeded');
      expect(error.message).toContain('deadline exceeded');
      expect(error.countsAgainstArm).toBe(false);
    });

    it('other aborts (hedge lost, shutdown) → deadline_exceeded traits with a distinct message', async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('hedge lost')), 100);
      const error = await caught(() => provider.call(testCall(testArm(), { signal: controller.signal })));
      expect(error.kind).toBe('deadline_exceeded');
      expect(error.message).toBe('openai: aborted by caller (Error: hedge lost)');
    });

    it('a ProviderError given as abort reason is thrown as is', async () => {
      const controller = new AbortController();
      const reason = new ProviderError({ kind: 'deadline_exceeded', message: 'router deadline' });
      setTimeout(() => controller.abort(reason), 50);
      expect(await caught(() => provider.call(testCall(testArm(), { signal: controller.signal })))).toBe(reason);
    });

    it('an already aborted signal sends nothing', async () => {
      const error = await caught(() => provider.call(testCall(testArm(), { signal: AbortSignal.abort() })));
      expect(error.kind).toBe('deadline_exceeded');
      expect(server.requests).toHaveLength(0);
    });
  });

  it('reuses one keep-alive connection across sequential calls', async () => {
    // (a short pause: undici returns the socket to the pool just after the body is consumed)
    for (let i = 0; i < 5; i++) {
      await provider.call(testCall(testArm()));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(server.requests).toHaveLength(5);
    expect(server.connections).toBe(1);
  });

  it('serves many concurrent calls on one client', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => provider.call(testCall(testArm(), { requestId: `r${i}` }))));
    expect(results).toHaveLength(50);
    expect(new Set(server.requests.map((r) => r.headers['x-switchyard-request-id'])).size).toBe(50);
  });
});
