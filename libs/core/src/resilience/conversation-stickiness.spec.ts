import { ManualClock } from '../testing/manual-clock';
import { ConversationStickiness } from './conversation-stickiness';

describe('ConversationStickiness', () => {
  it('remembers the arm of the last turn until the TTL passes', async () => {
    const clock = new ManualClock();
    const sticky = new ConversationStickiness(clock, { maxConversations: 10, ttlMs: 1_000 });
    sticky.remember('conv', 'b');
    await clock.advance(999);
    expect(sticky.armFor('conv')).toBe('b');
    await clock.advance(1);
    expect(sticky.armFor('conv')).toBeUndefined();
  });

  it('evicts the least recently used conversation beyond the bound', () => {
    const sticky = new ConversationStickiness(new ManualClock(), { maxConversations: 2, ttlMs: 60_000 });
    sticky.remember('one', 'a');
    sticky.remember('two', 'b');
    expect(sticky.armFor('one')).toBe('a');
    sticky.remember('three', 'c');
    expect(sticky.size).toBe(2);
    expect(sticky.armFor('two')).toBeUndefined();
    expect(sticky.armFor('one')).toBe('a');
  });
});
