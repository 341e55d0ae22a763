import type { CachedAnswer } from '@switchyard/core';
import { ManualClock } from '@switchyard/core/testing';
import { routingTableSchema } from '@switchyard/contracts';
import { embedText } from '../../../provider-sim/src/embeddings';
import { MemoryExactStore } from './memory-exact-store';
import { UsearchSemanticIndex } from './usearch-semantic-index';

function entry(key: string, storedAt: number, ttl = 60_000): CachedAnswer {
  return { key, tenant: 't', scope: 's', text: `answer ${key}`, finishReason: 'stop', arm: 'a', provider: 'p', model: 'm', requestId: key, storedAt, expiresAt: storedAt + ttl };
}

describe('MemoryExactStore', () => {
  it('evicts the least recently used entry beyond maxEntries and counts it', async () => {
    const clock = new ManualClock(1_000);
    const store = new MemoryExactStore({ maxEntries: 2, clock });
    await store.set(entry('a', 1_000));
    await store.set(entry('b', 1_000));
    await store.get('a');
    await store.set(entry('c', 1_000));
    expect(await store.get('b')).toBeUndefined();
    expect((await store.get('a'))?.text).toBe('answer a');
    expect(store.stats()).toEqual({ evictions: 1, entries: 2 });
  });

  it('drops an entry at its own TTL on the router clock', async () => {
    const clock = new ManualClock(1_000);
    const store = new MemoryExactStore({ maxEntries: 10, clock });
    await store.set(entry('short', 1_000, 5_000));
    await store.set(entry('long', 1_000, 50_000));
    await clock.advance(6_000);
    expect(await store.get('short')).toBeUndefined();
    expect(await store.get('long')).toBeDefined();
    expect(await store.set(entry('none', 1_000, 0))).toBe(false);
  });
});

describe('UsearchSemanticIndex with the simulator embeddings', () => {
  const v = (text: string) => Float32Array.from(embedText(text));

  it('finds a paraphrase above 0.95 and keeps a one-entity difference well below it', async () => {
    const index = new UsearchSemanticIndex({ maxEntries: 100 });
    await index.add('s', 'france', v('What is the capital of France?'));
    await index.add('s', 'everest', v('How tall is Mount Everest?'));
    const [best] = await index.nearest('s', v('Could you please tell me the capital of france'), 2);
    expect(best.key).toBe('france');
    expect(best.similarity).toBeGreaterThan(0.95);
    const [spain] = await index.nearest('s', v('What is the capital of Spain?'), 1);
    expect(spain.similarity).toBeLessThan(0.8);
  });

  it('searches only the scope it is asked about', async () => {
    const index = new UsearchSemanticIndex({ maxEntries: 100 });
    await index.add('tenant-a', 'k', v('What is the capital of France?'));
    expect(await index.nearest('tenant-b', v('What is the capital of France?'), 3)).toEqual([]);
  });

  it('holds at most maxEntries vectors, dropping the oldest first, and refuses a vector of another size', async () => {
    const index = new UsearchSemanticIndex({ maxEntries: 2 });
    await index.add('s', 'one', v('first question about apples'));
    await index.add('s', 'two', v('second question about pears'));
    await index.add('s', 'three', v('third question about plums'));
    expect(index.size).toBe(2);
    expect(index.evictions).toBe(1);
    expect(index.has('s', 'one')).toBe(false);
    await expect(index.add('s', 'bad', new Float32Array(8))).rejects.toThrow(/dimensions/);
    await index.remove('s', 'two');
    await index.remove('s', 'three');
    expect(await index.nearest('s', v('anything'), 1)).toEqual([]);
  });
});

describe('routing table cache section', () => {
  const base = { providers: { sim: { kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:1/v1' }, claude: { kind: 'anthropic', baseUrl: 'http://127.0.0.1:1' } }, arms: [{ id: 'a', provider: 'sim', model: 'm', pricing: { inputPer1M: 1, outputPer1M: 1 }, contextWindow: 1000, maxOutputTokens: 100 }] };
  const issues = (extra: object) => {
    const parsed = routingTableSchema.safeParse({ ...base, ...extra });
    return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('accepts a table-wide cache with embeddings and per-class settings', () => {
    expect(issues({ cache: { mode: 'fallback-only', embeddings: { provider: 'sim', model: 'e' } }, classes: { faq: { cache: { mode: 'read-write', semantic: true, similarity: 0.9 } } } })).toEqual([]);
  });

  it('names the field when semantic caching has no embeddings endpoint, or an anthropic one, or a bad mode', () => {
    expect(issues({ classes: { faq: { cache: { semantic: true } } } })).toEqual([expect.stringMatching(/^cache.embeddings: semantic caching is on/)]);
    expect(issues({ cache: { embeddings: { provider: 'claude', model: 'e' } } })).toEqual([expect.stringMatching(/^cache.embeddings.provider: .*anthropic/)]);
    expect(issues({ cache: { embeddings: { provider: 'nope', model: 'e' } } })).toEqual([expect.stringMatching(/^cache.embeddings.provider: unknown provider "nope"/)]);
    expect(issues({ cache: { mode: 'always' } })[0]).toMatch(/^cache.mode/);
  });
});
