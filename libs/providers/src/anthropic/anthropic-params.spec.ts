import { FakeServer, startFakeServer, type ScriptedReply } from '../testing/fake-http-server';
import { testArm, testCall } from '../testing/fixtures';
import { AnthropicProvider } from './anthropic-provider';
import { OpenAiProvider } from '../openai/openai-provider';

const usage = { input_tokens: 3, output_tokens: 4 };
const message = (content: unknown[], stop = 'end_turn') => ({ id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-haiku-4-5', content, stop_reason: stop, stop_sequence: null, usage });
const sse = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

describe('AnthropicProvider: sampling parameters and JSON mode', () => {
  let server: FakeServer;
  let reply: ScriptedReply;
  let provider: AnthropicProvider;
  const arm = testArm({ providerKind: 'anthropic', model: 'claude-haiku-4-5' });
  const body = (i = 0) => server.requests[i].body as Record<string, unknown>;

  beforeEach(async () => {
    reply = { status: 200, body: message([{ type: 'text', text: 'hi' }]) };
    server = await startFakeServer(() => reply);
    provider = new AnthropicProvider({ name: 'anthropic', kind: 'anthropic', baseUrl: server.url, apiKey: 'sk-ant-test-key' });
  });
  afterEach(async () => {
    await provider.close();
    await server.close();
  });

  it('sends temperature, top_p, stop_sequences and max_tokens as OpenAI arms get them', async () => {
    const result = await provider.call(testCall(arm, { temperature: 0.3, maxTokens: 99, stop: ['END'] }));
    expect(body()).toMatchObject({ temperature: 0.3, max_tokens: 99, stop_sequences: ['END'] });
    expect(result.droppedParams).toBeUndefined();
    await provider.call(testCall(arm, { topP: 0.9 }));
    expect(body(1)).toMatchObject({ top_p: 0.9 });
    expect(body(1)).not.toHaveProperty('temperature');
  });

  it('with both temperature and top_p sends temperature and reports top_p dropped', async () => {
    const result = await provider.call(testCall(arm, { temperature: 0.2, topP: 0.5 }));
    expect(body()).toMatchObject({ temperature: 0.2 });
    expect(body()).not.toHaveProperty('top_p');
    expect(result.droppedParams).toEqual(['top_p (Anthropic takes temperature or top_p, not both)']);
  });

  it("sends a temperature above Anthropic's 1 as 1 and says so", async () => {
    const result = await provider.call(testCall(arm, { temperature: 1.5 }));
    expect(body().temperature).toBe(1);
    expect(result.droppedParams).toEqual(["temperature 1.5 → 1 (Anthropic's maximum)"]);
  });

  it('json_object: one forced tool with an object schema; the answer is its input as JSON text', async () => {
    reply = { status: 200, body: message([{ type: 'tool_use', id: 'toolu_1', name: 'json_answer', input: { answer: 42 } }], 'tool_use') };
    const result = await provider.call(testCall(arm, { responseFormat: { type: 'json_object' } }));
    expect(body().tools).toEqual([expect.objectContaining({ name: 'json_answer', input_schema: { type: 'object' } })]);
    expect(body().tool_choice).toEqual({ type: 'tool', name: 'json_answer' });
    expect(result).toMatchObject({ text: '{"answer":42}', finishReason: 'stop' });
    expect(result.toolCalls).toBeUndefined();
  });

  it('json_schema: the schema is the tool input_schema, named after the format; a non-object root is wrapped and unwrapped', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    reply = { status: 200, body: message([{ type: 'tool_use', id: 'toolu_1', name: 'city', input: { city: 'Oslo' } }], 'tool_use') };
    expect((await provider.call(testCall(arm, { responseFormat: { type: 'json_schema', name: 'city', schema } }))).text).toBe('{"city":"Oslo"}');
    expect(body().tools).toEqual([expect.objectContaining({ name: 'city', input_schema: schema })]);

    reply = { status: 200, body: message([{ type: 'tool_use', id: 'toolu_2', name: 'json_answer', input: { value: [1, 2] } }], 'tool_use') };
    const list = await provider.call(testCall(arm, { responseFormat: { type: 'json_schema', schema: { type: 'array', items: { type: 'integer' } } } }));
    expect(list.text).toBe('[1,2]');
    expect((body(1).tools as { input_schema: unknown }[])[0].input_schema).toEqual({ type: 'object', properties: { value: { type: 'array', items: { type: 'integer' } } }, required: ['value'] });
  });

  it("keeps the caller's tools when JSON is also asked for, and reports response_format dropped", async () => {
    const result = await provider.call(testCall(arm, { responseFormat: { type: 'json_object' }, tools: [{ name: 'lookup' }] }));
    expect((body().tools as { name: string }[]).map((t) => t.name)).toEqual(['lookup']);
    expect(result.droppedParams).toEqual(['response_format (JSON mode is forced tool use, and the request offers its own tools)']);
  });

  it('streams JSON mode from input_json_delta events', async () => {
    reply = {
      sse: [
        sse('message_start', { type: 'message_start', message: { ...message([]), usage: { input_tokens: 3, output_tokens: 1 } } }),
        sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name: 'json_answer', input: {} } }),
        sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"answer": ' } }),
        sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '"yes"}' } }),
        sse('content_block_stop', { type: 'content_block_stop', index: 0 }),
        sse('message_delta', { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 4 } }),
        sse('message_stop', { type: 'message_stop' }),
      ],
    };
    const pieces: string[] = [];
    const result = await provider.stream(testCall(arm, { responseFormat: { type: 'json_object' } }), (t) => pieces.push(t));
    expect(pieces).toEqual(['{"answer": ', '"yes"}']);
    expect(result).toMatchObject({ text: '{"answer": "yes"}', finishReason: 'stop' });
    expect(JSON.parse(result.text)).toEqual({ answer: 'yes' });
  });
});

describe('OpenAiProvider: top_p', () => {
  it('sends top_p', async () => {
    const server = await startFakeServer(() => ({ status: 200, body: { id: 'c', object: 'chat.completion', created: 1, model: 'gpt-4o', choices: [{ index: 0, message: { role: 'assistant', content: 'x' }, finish_reason: 'stop' }] } }));
    const provider = new OpenAiProvider({ name: 'openai', kind: 'openai', baseUrl: server.url, apiKey: 'sk-test' });
    try {
      await provider.call(testCall(testArm(), { topP: 0.7, temperature: 0.1 }));
      expect(server.requests[0].body).toMatchObject({ top_p: 0.7, temperature: 0.1 });
    } finally {
      await provider.close();
      await server.close();
    }
  });
});
