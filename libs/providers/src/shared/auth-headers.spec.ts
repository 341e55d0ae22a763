import { AnthropicProvider } from '../anthropic/anthropic-provider';
import { describeEndpoint, endpointSecrets, type AuthScheme, type ProviderEndpointConfig } from '../endpoint';
import { OpenAiCompatibleProvider } from '../openai-compatible/openai-compatible-provider';
import { OpenAiProvider } from '../openai/openai-provider';
import { FakeServer, startFakeServer } from '../testing/fake-http-server';
import { caught, testArm, testCall } from '../testing/fixtures';

const KEY = 'sk-proxy-KEYKEYKEYKEY-0042';
const TOKEN = 'gw-token-TOKENTOKEN-7';

const anthropicMessage = { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-haiku-4-5', content: [{ type: 'text', text: 'ok' }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } };
const openaiCompletion = { id: 'c1', object: 'chat.completion', created: 1, model: 'gpt-4o', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1 } };

describe('auth scheme per provider endpoint', () => {
  let server: FakeServer;
  let status = 200;
  beforeEach(async () => {
    status = 200;
    server = await startFakeServer((req) =>
      status !== 200
        ? { status, body: { type: 'error', error: { type: 'authentication_error', message: `bad credentials ${String(req.headers['x-proxy-token'])}` } } }
        : { status: 200, body: req.url.endsWith('/messages') ? anthropicMessage : openaiCompletion },
    );
  });
  afterEach(() => server.close());

  function build(kind: ProviderEndpointConfig['kind'], auth?: AuthScheme) {
    const endpoint: ProviderEndpointConfig = { name: 'p', kind, baseUrl: server.url, apiKey: KEY, ...(auth ? { auth } : {}), headers: { 'x-proxy-token': TOKEN, 'x-team': 'search' }, secretHeaders: ['x-proxy-token'] };
    return kind === 'anthropic' ? new AnthropicProvider(endpoint) : kind === 'openai' ? new OpenAiProvider(endpoint) : new OpenAiCompatibleProvider(endpoint);
  }

  it.each([
    ['anthropic', undefined, { 'x-api-key': KEY, authorization: undefined }],
    ['anthropic', 'bearer', { 'x-api-key': undefined, authorization: `Bearer ${KEY}` }],
    ['anthropic', 'both', { 'x-api-key': KEY, authorization: `Bearer ${KEY}` }],
    ['openai', undefined, { 'x-api-key': undefined, authorization: `Bearer ${KEY}` }],
    ['openai', 'x-api-key', { 'x-api-key': KEY, authorization: undefined }],
    ['openai-compatible', 'both', { 'x-api-key': KEY, authorization: `Bearer ${KEY}` }],
  ] as const)('%s with auth %s sends exactly the configured header(s)', async (kind, auth, expected) => {
    const provider = build(kind, auth);
    try {
      await provider.call(testCall(testArm({ providerKind: kind, model: kind === 'anthropic' ? 'claude-haiku-4-5' : 'gpt-4o' })));
      const headers = server.requests[0].headers;
      expect({ 'x-api-key': headers['x-api-key'], authorization: headers.authorization }).toEqual(expected);
      expect(headers['x-proxy-token']).toBe(TOKEN);
      expect(headers['x-team']).toBe('search');
      if (kind === 'anthropic') expect(headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    } finally {
      await provider.close();
    }
  });

  it("keeps a configured Authorization header (a gateway's own token) under the x-api-key scheme", async () => {
    const provider = new AnthropicProvider({ name: 'p', kind: 'anthropic', baseUrl: server.url, apiKey: KEY, headers: { Authorization: `Bearer ${TOKEN}` }, secretHeaders: ['Authorization'] });
    try {
      await provider.call(testCall(testArm({ providerKind: 'anthropic', model: 'claude-haiku-4-5' })));
      expect(server.requests[0].headers).toMatchObject({ 'x-api-key': KEY, authorization: `Bearer ${TOKEN}` });
    } finally {
      await provider.close();
    }
  });

  it("scrubs a secret header's value from the provider's error message", async () => {
    status = 401;
    const provider = build('anthropic');
    try {
      const error = await caught(() => provider.call(testCall(testArm({ providerKind: 'anthropic', model: 'claude-haiku-4-5' }))));
      expect(error.kind).toBe('auth');
      expect(error.message).toContain('bad credentials');
      expect(error.message).not.toContain(TOKEN);
    } finally {
      await provider.close();
    }
  });
});

describe('endpoint description and secrets', () => {
  const endpoint: ProviderEndpointConfig = { name: 'proxy', kind: 'anthropic', baseUrl: 'https://llm-proxy.internal', apiKey: KEY, headers: { 'x-proxy-token': TOKEN, 'x-team': 'search' }, secretHeaders: ['X-Proxy-Token'] };

  it('shows the auth scheme and headers with secret values redacted, never the key', () => {
    const shown = describeEndpoint(endpoint);
    expect(shown).toEqual({ name: 'proxy', kind: 'anthropic', baseUrl: 'https://llm-proxy.internal', auth: 'x-api-key', headers: { 'x-proxy-token': '[redacted]', 'x-team': 'search' } });
    expect(JSON.stringify(shown)).not.toContain(KEY);
  });

  it('redacts credentials in the base URL', () => {
    expect(describeEndpoint({ ...endpoint, baseUrl: 'https://svc:pa55word@gateway.internal/v1' }).baseUrl).toBe('https://[redacted]@gateway.internal/v1');
  });

  it('lists the key and the secret header values (not the others) for scrubbing', () => {
    expect(endpointSecrets(endpoint)).toEqual([KEY, TOKEN]);
  });
});
