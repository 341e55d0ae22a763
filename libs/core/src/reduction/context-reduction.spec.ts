import type { ChatMessage } from '../ports/provider';
import { estimatePromptTokens } from '../routing/token-estimate';
import { summaryPrompt, trimToFit, withSummary } from './context-reduction';

const turn = (role: ChatMessage['role'], n: number, tag = ''): ChatMessage => ({ role, content: `${tag}${'x'.repeat(n)}` });

describe('trimToFit', () => {
  const conversation: ChatMessage[] = [
    turn('system', 400, 'S'),
    turn('user', 4000, 'U1'),
    turn('assistant', 4000, 'A1'),
    turn('user', 4000, 'U2'),
    turn('assistant', 4000, 'A2'),
    turn('user', 400, 'U3'),
  ];

  it('leaves a conversation that fits alone', () => {
    const r = trimToFit(conversation, 1_000_000)!;
    expect(r.kept).toEqual(conversation);
    expect(r.dropped).toEqual([]);
  });

  it('drops the oldest turns first and keeps the system prompt and the last user turn', () => {
    const limit = estimatePromptTokens([conversation[0], ...conversation.slice(3)]);
    const r = trimToFit(conversation, limit)!;
    expect(r.kept.map((m) => m.content.slice(0, 2))).toEqual(['Sx', 'U2', 'A2', 'U3']);
    expect(r.dropped.map((m) => m.content.slice(0, 2))).toEqual(['U1', 'A1']);
    expect(estimatePromptTokens(r.kept)).toBeLessThanOrEqual(limit);
  });

  it('keeps a reserve for the output and the summary', () => {
    const limit = estimatePromptTokens([conversation[0], ...conversation.slice(3)]);
    const r = trimToFit(conversation, limit, 1)!;
    expect(r.kept.map((m) => m.content.slice(0, 2))).toEqual(['Sx', 'U3']);
  });

  it('never starts the kept part with an assistant or tool turn', () => {
    const withTools: ChatMessage[] = [
      turn('user', 4000, 'U1'),
      { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'f', arguments: '{}' }] },
      { role: 'tool', content: 'y'.repeat(4000), toolCallId: 'c1' },
      turn('assistant', 400, 'A1'),
      turn('user', 400, 'U2'),
    ];
    const limit = estimatePromptTokens(withTools.slice(2)) - 1;
    const r = trimToFit(withTools, limit)!;
    expect(r.kept.map((m) => m.role)).toEqual(['user']);
    expect(r.kept[0].content.startsWith('U2')).toBe(true);
  });

  it('gives up when the system prompt and the last user turn alone do not fit', () => {
    expect(trimToFit(conversation, estimatePromptTokens([conversation[0], conversation[5]]) - 1)).toBeUndefined();
  });
});

describe('summaries', () => {
  it('puts the summary after the system turns and before the kept turns', () => {
    const trim = { kept: [turn('system', 3, 'S'), turn('user', 3, 'U')], dropped: [turn('user', 3, 'old')] };
    const messages = withSummary(trim, 'they agreed on 42');
    expect(messages.map((m) => m.role)).toEqual(['system', 'system', 'user']);
    expect(messages[1].content).toContain('they agreed on 42');
  });

  it('asks for a bounded summary of exactly the dropped turns', () => {
    const prompt = summaryPrompt([turn('user', 3, 'hello '), turn('assistant', 3, 'hi ')], 300);
    expect(prompt[0].content).toContain('300 tokens');
    expect(prompt[1].content).toBe('user: hello xxx\n\nassistant: hi xxx');
  });
});
