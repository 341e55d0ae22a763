import type { CachedAnswer, Clock, ExactCacheStore } from '@switchyard/core';
import { LRUCache } from 'lru-cache';

/** Read by /metrics. */
export interface CacheStoreStats {
  /** Entries dropped to stay within the bound (not expiries). */
  evictions: number;
  /** Entries held, when the store knows cheaply. */
  entries?: number;
}

/**
 * The exact cache of one replica: at most `maxEntries` answers, least recently used evicted first,
 * each dropped at its own `expiresAt` (the class's TTL).
 */
export class MemoryExactStore implements ExactCacheStore {
  private readonly lru: LRUCache<string, CachedAnswer>;
  private evictions = 0;

  constructor(options: { maxEntries: number; clock: Clock }) {
    this.lru = new LRUCache<string, CachedAnswer>({
      max: options.maxEntries,
      // Our clock, so TTLs follow the same time as the rest of the router (and tests can move it).
      perf: { now: () => options.clock.now() },
      ttlAutopurge: false,
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') this.evictions++;
      },
    });
  }

  stats(): CacheStoreStats {
    return { evictions: this.evictions, entries: this.lru.size };
  }

  async get(key: string): Promise<CachedAnswer | undefined> {
    return this.lru.get(key);
  }

  async set(entry: CachedAnswer): Promise<boolean> {
    const ttl = entry.expiresAt - entry.storedAt;
    if (!(ttl > 0)) return false;
    this.lru.set(entry.key, entry, { ttl });
    return true;
  }

  async delete(key: string): Promise<void> {
    this.lru.delete(key);
  }

}
