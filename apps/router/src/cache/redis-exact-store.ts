import type { CachedAnswer, ExactCacheStore } from '@switchyard/core';
import type { Redis } from 'ioredis';
import { LuaScript } from '../state/lua';
import type { CacheStoreStats } from './memory-exact-store';

/**
 * SET the entry with its TTL, note it in a sorted set by last use, and drop the least recently
 * used entries beyond the bound, in one round trip. The Redis server runs `noeviction` (budget
 * keys must never be evicted silently), so the cache bounds itself instead of filling Redis.
 */
const SET_BOUNDED = new LuaScript(`
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], KEYS[1])
local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if excess > 0 then
  local old = redis.call('ZPOPMIN', KEYS[2], excess)
  for i = 1, #old, 2 do redis.call('DEL', old[i]) end
  return excess
end
return 0
`);

/**
 * The exact cache shared by every replica (STATE_BACKEND=redis). Entries are JSON under
 * `<prefix>cache:<key>`; the key already holds the tenant, so replicas share a tenant's entries and
 * never another's. Any Redis error is thrown to the ResponseCache, which treats it as a miss.
 */
export class RedisExactStore implements ExactCacheStore {
  private readonly lruKey: string;
  private evictions = 0;

  constructor(
    private readonly redis: Redis,
    private readonly options: { prefix: string; maxEntries: number; now: () => number },
  ) {
    this.lruKey = `${options.prefix}cache:lru`;
  }

  /** Evictions made by this replica's writes. */
  stats(): CacheStoreStats {
    return { evictions: this.evictions };
  }

  async get(key: string): Promise<CachedAnswer | undefined> {
    const raw = await this.redis.get(this.entryKey(key));
    if (raw === null) return undefined;
    // Refresh its place in the LRU order; a lost refresh only makes eviction slightly less exact.
    this.redis.zadd(this.lruKey, 'XX', this.options.now(), this.entryKey(key)).catch(() => undefined);
    return JSON.parse(raw) as CachedAnswer;
  }

  async set(entry: CachedAnswer): Promise<boolean> {
    const ttl = Math.round(entry.expiresAt - entry.storedAt);
    if (!(ttl > 0)) return false;
    const evicted = await SET_BOUNDED.run(this.redis, [this.entryKey(entry.key), this.lruKey], [JSON.stringify(entry), ttl, this.options.now(), this.options.maxEntries]);
    this.evictions += Number(evicted) || 0;
    return true;
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(this.entryKey(key));
  }

  private entryKey(key: string): string {
    return `${this.options.prefix}cache:${key}`;
  }
}
