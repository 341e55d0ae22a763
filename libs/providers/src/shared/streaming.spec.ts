import { isProviderError } from '@switchyard/core';
import { AnthropicProvider } from '../anthropic/anthropic-provider';
import { OpenAiProvider } from '../openai/openai-provider';
import { startFakeServer, type FakeServer, type ScriptedReply } from '../testing/fake-http-server';
import { caught, testArm, testCall } from '../testing/fixtures';

const data = (payload: unknown) => `data: ${JSON.stringify(payload)}\n\n`;
const event = (name: string, payload: unknown) => `event: ${name}\n${data(payload)}`;
const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => data({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-2024', choices, ...extra });
const delta = (content: string) => chunk([{ index: 0, delta: { content }, finish_reason: null }]);

const OPENAI_STREAM = [
  chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
  delta('Hello '),
  delta('there.'),
  chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
  chunk([], { usage: { prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 } }),
  'data: [DONE]\n\n',
];

const ANTHROPIC_STREAM = [
  event('message_start', { type: 'message_start', message: { id: 'm1', type: 'message', role: 'assistant', model: 'claude-x', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 5, output_tokens: 1 } } }),
  event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Bonjour ' } }),
  event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'monde.' } }),
  event('content_block_stop', { type: 'content_block_stop', index: 0 }),
  event('message_delta', { type: 'message_delta', delta: { stop_reason: 'max_tokens', stop_sequence: null }, usage: { output_tokens: 2 } }),
  event('message_stop', { type: 'message_stop' }),
];

describe('streaming provider calls through the official SDKs', () => {
  let server: FakeServer;
  let reply: ScriptedReply;

  beforeAll(async () => {
    server = await startFakeServer(() => reply);
  });
  afterAll(() => server.close());

  const openai = () => new OpenAiProvider({ name: 'oa', kind: 'openai', apiKey: 'sk-test', baseUrl: `${server.url}/v1` });
  const anthropic = () => new AnthropicProvider({ name: 'an', kind: 'anthropic', apiKey: 'sk-ant-test', baseUrl: server.url });

  it('OpenAI: hands each delta over as it comes and returns the whole answer with usage', async () => {
    reply = { sse: OPENAI_STREAM };
    const pieces: string[] = [];
    const result = await openai().stream(testCall(testArm()), (t) => pieces.push(t));
    expect(pieces).toEqual(['Hello ', 'there.']);
    expect(result).toEqual({ text: 'Hello there.', finishReason: 'stop', usage: { inputTokens: 7, outputTokens: 2 }, model: 'gpt-4o-2024' });
    expect(server.requests.at(-1)!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('OpenAI: a stream cut mid-way is a classified ProviderError after the pieces that arrived', async () => {
    reply = { sse: OPENAI_STREAM.slice(0, 2), cut: true };
    const pieces: string[] = [];
    const error = await caught(() => openai().stream(testCall(testArm()), (t) => pieces.push(t)));
    expect(pieces).toEqual(['Hello ']);
    expect(isProviderError(error)).toBe(true);
    expect(error.retryable).toBe(true);
  });

  it('Anthropic: text deltas, input tokens from message_start, stop reason and output tokens from message_delta', async () => {
    reply = { sse: ANTHROPIC_STREAM };
    const pieces: string[] = [];
    const result = await anthropic().stream(testCall(testArm({ providerKind: 'anthropic', model: 'claude-x' })), (t) => pieces.push(t));
    expect(pieces).toEqual(['Bonjour ', 'monde.']);
    expect(result).toEqual({ text: 'Bonjour monde.', finishReason: 'length', usage: { inputTokens: 5, outputTokens: 2 }, model: 'claude-x' });
  });

  it('Anthropic: a stream that ends without message_stop is a failure, not an answer', async () => {
    reply = { sse: ANTHROPIC_STREAM.slice(0, 3), cut: true };
    const pieces: string[] = [];
    const error = await caught(() => anthropic().stream(testCall(testArm({ providerKind: 'anthropic', model: 'claude-x' })), (t) => pieces.push(t)));
    expect(pieces).toEqual(['Bonjour ']);
    expect(isProviderError(error)).toBe(true);
  });
});
