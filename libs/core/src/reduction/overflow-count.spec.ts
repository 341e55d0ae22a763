import { overflowTokenCount } from './overflow-count';

describe('overflowTokenCount', () => {
  it('reads the count from the OpenAI and Anthropic context-overflow messages', () => {
    expect(overflowTokenCount("This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens. Please reduce the length of the messages.")).toBe(130_512);
    expect(overflowTokenCount("This model's maximum context length is 128000 tokens. However, you requested 131000 tokens (130000 in the messages, 1000 in the completion).")).toBe(130_000);
    expect(overflowTokenCount('prompt is too long: 210000 tokens > 200000 maximum')).toBe(210_000);
    expect(overflowTokenCount('input length and `max_tokens` exceed context limit: 199000 + 4096 > 200000, decrease input length')).toBe(199_000);
  });

  it('says nothing when the message has no count', () => {
    expect(overflowTokenCount('prompt is too long')).toBeUndefined();
    expect(overflowTokenCount(undefined)).toBeUndefined();
  });
});
