import { validateRequest } from '@switchyard/contracts';
import { optionsFromHeaders, parseChatBody, resolveModel, toRequestV1, v1PathToParam, type ChatRequestContext } from './chat-request';
import { OpenAiError } from './openai-error';

const catalog = { arms: [{ id: 'primary', model: 'gpt-4o-mini' }, { id: 'backup', model: 'claude-haiku-4-5' }], classes: ['extraction'] };
const ctx = (over: Partial<ChatRequestContext> = {}): ChatRequestContext => ({ id: 'r1', tenant: 'acme', tenantFromKey: true, target: { kind: 'auto' }, options: {}, ...over });

function thrown(fn: () => unknown): OpenAiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof OpenAiError) return err;
    throw err;
  }
  throw new Error('expected an OpenAiError');
}

describe('parseChatBody', () => {
  it('accepts what the openai SDK sends', () => {
    const body = parseChatBody({ model: 'switchyard/auto', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], max_completion_tokens: 10, stream: true, stream_options: { include_usage: true }, user: 'u1' });
    expect(body.stream).toBe(true);
  });

  it.each([
    [{ model: 'm', messages: [{ role: 'user', content: 'x' }], temperature: 3 }, 'temperature', 'invalid_value'],
    [{ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 0 }, 'max_tokens', 'invalid_value'],
    [{ model: 'm', messages: [{ role: 'bot', content: 'x' }] }, 'messages[0].role', 'invalid_value'],
    [{ model: 'm' }, 'messages', 'missing_required_parameter'],
    [{ model: 'm', messages: [{ role: 'user', content: 'x' }], frequency_penaltyy: 1 }, 'frequency_penaltyy', 'unknown_parameter'],
    [{ model: 'm', messages: [{ role: 'user', content: 'x' }], switchyard: { objective: 'fastest-ever' } }, 'switchyard.objective', 'invalid_value'],
  ])('refuses %j with 400 naming %s', (body, param, code) => {
    const error = thrown(() => parseChatBody(body));
    expect([error.status, error.param, error.code]).toEqual([400, param, code]);
  });
});

describe('resolveModel', () => {
  it('resolves the alias, arm ids, provider model names and classes; 404 otherwise', () => {
    expect(resolveModel('switchyard/auto', catalog)).toEqual({ kind: 'auto' });
    expect(resolveModel('backup', catalog)).toEqual({ kind: 'arms', models: ['backup'] });
    expect(resolveModel('gpt-4o-mini', catalog)).toEqual({ kind: 'arms', models: ['gpt-4o-mini'] });
    expect(resolveModel('switchyard/extraction', catalog)).toEqual({ kind: 'class', name: 'extraction' });
    expect(resolveModel('extraction', catalog)).toEqual({ kind: 'class', name: 'extraction' });
    expect(thrown(() => resolveModel('gpt-9', catalog))).toMatchObject({ status: 404, code: 'model_not_found', param: 'model' });
  });

  it('quotes at most 200 characters of an unknown model name, saying how long it was', () => {
    const error = thrown(() => resolveModel('m'.repeat(10_000), catalog)) as Error;
    expect(error.message.length).toBeLessThan(400);
    expect(error.message).toContain(`${'m'.repeat(200)}… (10000 characters)`);
  });

  it('quotes at most 200 characters of an unknown field name, in the message and in param', () => {
    const error = thrown(() => parseChatBody({ model: 'x', messages: [{ role: 'user', content: 'Hi' }], ['k'.repeat(5_000)]: 1 })) as Error & { param: string };
    expect(error.message.length).toBeLessThan(400);
    expect(error.param.length).toBeLessThan(250);
  });
});

describe('toRequestV1', () => {
  const body = (extra: Record<string, unknown> = {}) => parseChatBody({ model: 'x', messages: [{ role: 'developer', content: 'Be brief' }, { role: 'user', content: 'Hi' }], ...extra });

  it('maps params and Switchyard options onto a request v1 that the contract accepts', () => {
    const input = toRequestV1(body({ temperature: 0.2, top_p: 0.9, max_tokens: 50, stop: 'END', response_format: { type: 'json_schema', json_schema: { name: 'a', schema: { type: 'object' } } } }), ctx({ target: { kind: 'class', name: 'extraction' }, options: { objective: 'cheapest', deadlineMs: 5_000, valueUsd: 0.1 } }));
    const decoded = validateRequest(input);
    expect(decoded.ok && decoded.request).toMatchObject({
      id: 'r1',
      tenant: 'acme',
      class: 'extraction',
      messages: [{ role: 'system', content: 'Be brief' }, { role: 'user', content: 'Hi' }],
      params: { temperature: 0.2, topP: 0.9, maxTokens: 50, stop: ['END'], responseFormat: { type: 'json_schema', name: 'a', schema: { type: 'object' } } },
      routing: { objective: 'cheapest', deadlineMs: 5_000, valueUsd: 0.1 },
    });
  });

  it('restricts routing to the arm named by model', () => {
    expect(toRequestV1(body(), ctx({ target: { kind: 'arms', models: ['backup'] } })).routing).toEqual({ models: ['backup'] });
  });

  it("never lets a key spend another tenant's budget; without keys the request may name its tenant", () => {
    expect(thrown(() => toRequestV1(body(), ctx({ options: { tenant: 'beta' } })))).toMatchObject({ status: 403, code: 'tenant_mismatch', param: 'switchyard.tenant' });
    expect(toRequestV1(body(), ctx({ options: { tenant: 'acme' } })).tenant).toBe('acme');
    expect(toRequestV1(body(), ctx({ tenantFromKey: false, tenant: 'default', options: { tenant: 'beta' } })).tenant).toBe('beta');
  });

  it('carries tools, tool_choice, assistant tool calls and tool results into request v1', () => {
    const input = toRequestV1(
      parseChatBody({
        model: 'x',
        messages: [
          { role: 'user', content: 'Weather in Oslo?' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }] },
          { role: 'tool', tool_call_id: 'call_1', content: '{"c":3}' },
        ],
        tools: [{ type: 'function', function: { name: 'weather', description: 'Current weather', parameters: { type: 'object' } } }],
        tool_choice: { type: 'function', function: { name: 'weather' } },
      }),
      ctx(),
    );
    const decoded = validateRequest(input);
    expect(decoded.ok && decoded.request).toMatchObject({
      messages: [
        { role: 'user', content: 'Weather in Oslo?' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'weather', arguments: '{"city":"Oslo"}' }] },
        { role: 'tool', content: '{"c":3}', toolCallId: 'call_1' },
      ],
      params: { tools: [{ name: 'weather', description: 'Current weather', parameters: { type: 'object' } }], toolChoice: { name: 'weather' } },
    });
  });

  it('refuses a tool message without tool_call_id and the deprecated function role, naming the field', () => {
    expect(thrown(() => toRequestV1(parseChatBody({ model: 'x', messages: [{ role: 'tool', content: 'r' }] }), ctx()))).toMatchObject({ status: 400, param: 'messages[0].tool_call_id' });
    expect(thrown(() => toRequestV1(parseChatBody({ model: 'x', messages: [{ role: 'function', content: 'r', name: 'f' }] }), ctx()))).toMatchObject({ status: 400, param: 'messages[0].role' });
  });
});

describe('Switchyard options from headers', () => {
  it('reads x-switchyard-* headers and names a bad one', () => {
    const headers: Record<string, string> = { 'x-switchyard-class': 'extraction', 'x-switchyard-deadline-ms': '2500', 'x-switchyard-objective': 'fastest' };
    expect(optionsFromHeaders((n) => headers[n])).toEqual({ class: 'extraction', deadlineMs: 2500, objective: 'fastest' });
    expect(thrown(() => optionsFromHeaders((n) => (n === 'x-switchyard-deadline-ms' ? 'soon' : undefined)))).toMatchObject({ status: 400, param: 'x-switchyard-deadline-ms' });
  });
});

describe('v1PathToParam', () => {
  it("names the caller's field for a contract or limit issue", () => {
    expect(v1PathToParam(['messages', '3', 'content'])).toBe('messages[3].content');
    expect(v1PathToParam(['params', 'maxTokens'])).toBe('max_tokens');
    expect(v1PathToParam(['routing', 'deadlineMs'])).toBe('switchyard.deadlineMs');
    expect(v1PathToParam(['tenant'])).toBe('switchyard.tenant');
  });
});
