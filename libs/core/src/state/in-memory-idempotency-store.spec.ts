import { ManualClock } from '../testing/manual-clock';
import { InMemoryIdempotencyStore } from './in-memory-idempotency-store';

const answer = (id: string) => ({ requestId: id, tenant: 't', topic: 'r', value: Buffer.from(id), headers: {} });

describe('InMemoryIdempotencyStore', () => {
  it('returns the stored answer byte for byte until the TTL passes', async () => {
    const clock = new ManualClock(0);
    const store = new InMemoryIdempotencyStore(clock, { ttlMs: 1_000, maxEntries: 10 });
    await store.put(answer('a'));
    expect(Buffer.from((await store.get('a'))!.value).toString()).toBe('a');
    await clock.advance(1_001);
    expect(await store.get('a')).toBeUndefined();
  });

  it('evicts the oldest entries past maxEntries', async () => {
    const store = new InMemoryIdempotencyStore(new ManualClock(0), { ttlMs: 1_000, maxEntries: 2 });
    for (const id of ['a', 'b', 'c']) await store.put(answer(id));
    expect(await store.get('a')).toBeUndefined();
    expect(await store.get('c')).toBeDefined();
    expect(store.size).toBe(2);
  });

  it('ignores warm-up entries already older than the TTL', () => {
    const clock = new ManualClock(10_000);
    const store = new InMemoryIdempotencyStore(clock, { ttlMs: 1_000, maxEntries: 10 });
    store.putAt(answer('old'), 5_000);
    expect(store.size).toBe(0);
  });
});
