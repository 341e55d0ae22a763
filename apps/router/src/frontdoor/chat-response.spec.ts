import type { ResponseV1 } from '@switchyard/contracts';
import { ChunkBuilder, SSE_DONE, sseData, toChatCompletion } from './chat-response';

const response: ResponseV1 = {
  schemaVersion: 1,
  id: 'req-9',
  tenant: 'acme',
  status: 'ok',
  output: { text: 'Hi there.', finishReason: 'length' },
  servedBy: { arm: 'primary', provider: 'openai', model: 'gpt-4o-mini-2024' },
  attempts: [{ arm: 'primary', outcome: 'ok', latencyMs: 12, costUsd: 0.0001 }],
  usage: { inputTokens: 7, outputTokens: 3, costUsd: 0.0001 },
  latencyMs: 12,
  traceId: 'abc',
};

describe('chat completion shapes', () => {
  it('maps response v1 to a chat.completion with usage and the model that answered', () => {
    expect(toChatCompletion(response, 'switchyard/auto', 1_700_000_000)).toMatchObject({
      id: 'chatcmpl-req-9',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'gpt-4o-mini-2024',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hi there.' }, finish_reason: 'length' }],
      usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
      switchyard: { request_id: 'req-9', served_by: { arm: 'primary' }, trace_id: 'abc' },
    });
  });

  it('gives a tool-calling answer as tool_calls with null content, in the completion and as one stream delta', () => {
    const calls: ResponseV1 = { ...response, output: { text: '', finishReason: 'tool_calls', toolCalls: [{ id: 'call_1', name: 'weather', arguments: '{"city":"Oslo"}' }] } };
    const expected = [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }];
    expect(toChatCompletion(calls, 'm', 1).choices[0]).toMatchObject({ message: { content: null, tool_calls: expected }, finish_reason: 'tool_calls' });
    const chunks = new ChunkBuilder('c', 'm', 1);
    expect(chunks.toolCalls(calls)).toMatchObject({ choices: [{ delta: { tool_calls: [{ index: 0, ...expected[0] }] } }] });
    expect(chunks.toolCalls(response)).toBeUndefined();
  });

  it('builds role, text, finish and usage chunks as OpenAI streams them, framed as SSE', () => {
    const chunks = new ChunkBuilder('chatcmpl-req-9', 'switchyard/auto', 1);
    expect(chunks.role()).toMatchObject({ object: 'chat.completion.chunk', choices: [{ delta: { role: 'assistant', content: '' }, finish_reason: null }] });
    expect(chunks.text('Hi')).toMatchObject({ id: 'chatcmpl-req-9', choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }] });
    expect(chunks.finish(response)).toMatchObject({ model: 'gpt-4o-mini-2024', choices: [{ delta: {}, finish_reason: 'length' }] });
    expect(chunks.usage(response)).toMatchObject({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 } });
    expect(sseData({ a: 1 })).toBe('data: {"a":1}\n\n');
    // The fast path writes exactly what serialising the chunk would, for any text.
    for (const text of ['Hi', 'quote " and \\ and \n newline', '', '"}]}']) expect(chunks.textEvent(text)).toBe(sseData(chunks.text(text)));
    expect(SSE_DONE).toBe('data: [DONE]\n\n');
  });
});
