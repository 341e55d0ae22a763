import { AnthropicProvider } from '../anthropic/anthropic-provider';
import { OpenAiProvider } from '../openai/openai-provider';
import { startFakeServer, type FakeServer, type ScriptedReply } from '../testing/fake-http-server';
import { testArm, testCall } from '../testing/fixtures';
import type { ChatMessage, ToolSpec } from '@switchyard/core';

const tools: ToolSpec[] = [{ name: 'weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }];
const conversation: ChatMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Weather in Oslo and Rome?' },
  { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'weather', arguments: '{"city":"Oslo"}' }, { id: 'c2', name: 'weather', arguments: '{"city":"Rome"}' }] },
  { role: 'tool', content: '3 °C', toolCallId: 'c1' },
  { role: 'tool', content: '18 °C', toolCallId: 'c2' },
];

describe('tool calling through the official SDKs', () => {
  let server: FakeServer;
  let reply: ScriptedReply;
  beforeAll(async () => {
    server = await startFakeServer(() => reply);
  });
  afterAll(() => server.close());

  it('OpenAI: sends tools, tool_choice and the tool turns; reads the calls of the reply', async () => {
    reply = {
      status: 200,
      body: {
        id: 'x', object: 'chat.completion', created: 1, model: 'gpt-4o',
        choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 'c3', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }] }, finish_reason: 'tool_calls' }],
        usage: { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 },
      },
    };
    const provider = new OpenAiProvider({ name: 'oa', kind: 'openai', apiKey: 'sk', baseUrl: `${server.url}/v1` });
    const result = await provider.call(testCall(testArm(), { messages: conversation, tools, toolChoice: { name: 'weather' } }));
    expect(result).toMatchObject({ finishReason: 'tool_calls', toolCalls: [{ id: 'c3', name: 'weather', arguments: '{"city":"Paris"}' }] });
    expect(server.requests.at(-1)!.body).toMatchObject({
      tools: [{ type: 'function', function: { name: 'weather', description: 'Current weather', parameters: tools[0].parameters } }],
      tool_choice: { type: 'function', function: { name: 'weather' } },
      messages: [
        { role: 'system' },
        { role: 'user' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }, { id: 'c2' }] },
        { role: 'tool', tool_call_id: 'c1', content: '3 °C' },
        { role: 'tool', tool_call_id: 'c2', content: '18 °C' },
      ],
    });
  });

  it('Anthropic: tool_use blocks out, tool_result blocks in one user turn, tool_use in the reply as calls', async () => {
    reply = {
      status: 200,
      body: {
        id: 'm', type: 'message', role: 'assistant', model: 'claude-x', stop_reason: 'tool_use', stop_sequence: null,
        content: [{ type: 'text', text: 'Checking.' }, { type: 'tool_use', id: 'tu_1', name: 'weather', input: { city: 'Paris' } }],
        usage: { input_tokens: 20, output_tokens: 5 },
      },
    };
    const provider = new AnthropicProvider({ name: 'an', kind: 'anthropic', apiKey: 'sk-ant', baseUrl: server.url });
    const result = await provider.call(testCall(testArm({ providerKind: 'anthropic' }), { messages: conversation, tools, toolChoice: 'required' }));
    expect(result).toMatchObject({ text: 'Checking.', finishReason: 'tool_calls', toolCalls: [{ id: 'tu_1', name: 'weather', arguments: '{"city":"Paris"}' }] });
    expect(server.requests.at(-1)!.body).toMatchObject({
      system: 'Be brief.',
      tools: [{ name: 'weather', description: 'Current weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      tool_choice: { type: 'any' },
      messages: [
        { role: 'user', content: 'Weather in Oslo and Rome?' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'c1', name: 'weather', input: { city: 'Oslo' } }, { type: 'tool_use', id: 'c2', input: { city: 'Rome' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'c1', content: '3 °C' }, { type: 'tool_result', tool_use_id: 'c2', content: '18 °C' }] },
      ],
    });
  });
});
