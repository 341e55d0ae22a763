import { ResponseCache, type CacheClassSettings, type Clock, type ExactCacheStore, type SemanticIndex } from '@switchyard/core';
import { OpenAiEmbedder } from '@switchyard/providers';
import type { Redis } from 'ioredis';
import type { LoadedRoutingTable } from '../config/routing-table.loader';
import { MemoryExactStore, type CacheStoreStats } from './memory-exact-store';
import { RedisExactStore } from './redis-exact-store';
import { SharedSemanticIndex, type FeedLogger } from './redis-semantic-feed';
import { UsearchSemanticIndex } from './usearch-semantic-index';

export const CACHE_DEFAULTS = { maxEntries: 10_000, maxEntryChars: 32_768, embedTimeoutMs: 2_000 };

export interface CacheRuntime {
  cache: ResponseCache;
  /** Where entries live: this replica's memory, or Redis shared by every replica. */
  backend: 'memory' | 'redis';
  semantic: boolean;
  stats(): CacheStoreStats & { vectors?: number; vectorEvictions?: number; vectorsReceived?: number; forgotten: number };
  /** Drops the entry `cacheKey` (bad feedback on an answer it holds); counted as `forgotten`. */
  forget(cacheKey: string): Promise<boolean>;
  start(): void;
  close(): Promise<void>;
}

export interface CacheDeps {
  clock: Clock;
  /** Present with STATE_BACKEND=redis: the exact cache (and the semantic vectors) are shared through it. */
  redis?: Redis;
  redisPrefix?: string;
  replica: string;
  logger?: FeedLogger & { error(message: string): void };
}

/** `classes.<name>.cache` of every class that has one. */
export function classCacheSettings(table: Pick<LoadedRoutingTable, 'classes'>): Record<string, CacheClassSettings> {
  return Object.fromEntries(Object.entries(table.classes).flatMap(([name, c]) => (c.cache ? [[name, c.cache]] : [])));
}

/**
 * What a reload cannot change in a running cache (it is built around them): the embeddings
 * endpoint, the bounds, and whether there is a cache at all. Per-class and table-wide modes, ages
 * and thresholds are applied at once.
 */
export function cacheNeedsRestart(running: CacheRuntime | undefined, next: Pick<LoadedRoutingTable, 'cache' | 'classes'>, current: Pick<LoadedRoutingTable, 'cache'>): boolean {
  if (!running) return cacheConfigured(next);
  const structural = (c: LoadedRoutingTable['cache']) => JSON.stringify([c?.embeddings, c?.maxEntries, c?.maxEntryChars]);
  return structural(next.cache) !== structural(current.cache);
}

/** True when the table or a class turns the cache on. */
export function cacheConfigured(table: Pick<LoadedRoutingTable, 'cache' | 'classes'>): boolean {
  const modes = [table.cache?.mode, ...Object.values(table.classes).map((c) => c.cache?.mode)];
  return modes.some((m) => m !== undefined && m !== 'off');
}

/** The response cache of the routing table's `cache:` section, or undefined when no class uses it. */
export function createResponseCache(table: Pick<LoadedRoutingTable, 'cache' | 'classes' | 'endpoints'>, deps: CacheDeps): CacheRuntime | undefined {
  if (!cacheConfigured(table)) return undefined;
  const section = table.cache ?? {};
  const maxEntries = section.maxEntries ?? CACHE_DEFAULTS.maxEntries;
  const exact: ExactCacheStore & { stats(): CacheStoreStats } = deps.redis
    ? new RedisExactStore(deps.redis, { prefix: deps.redisPrefix ?? '{switchyard}:', maxEntries, now: () => deps.clock.now() })
    : new MemoryExactStore({ maxEntries, clock: deps.clock });
  let local: UsearchSemanticIndex | undefined;
  let shared: SharedSemanticIndex | undefined;
  let index: SemanticIndex | undefined;
  let embedder: OpenAiEmbedder | undefined;
  if (section.embeddings) {
    const endpoint = table.endpoints.find((e) => e.name === section.embeddings!.provider);
    if (!endpoint) throw new Error(`cache.embeddings.provider "${section.embeddings.provider}" is not a declared provider`);
    embedder = new OpenAiEmbedder(endpoint, section.embeddings.model);
    local = new UsearchSemanticIndex({ maxEntries });
    index = local;
    if (deps.redis) index = shared = new SharedSemanticIndex(local, deps.redis, { prefix: deps.redisPrefix ?? '{switchyard}:', maxEntries, replica: deps.replica, logger: deps.logger });
  }
  let lastError = '';
  const cache = new ResponseCache({
    exact,
    semantic: index && embedder ? { index, embedder, embedTimeoutMs: section.embeddings?.timeoutMs ?? CACHE_DEFAULTS.embedTimeoutMs } : undefined,
    table: section,
    classes: classCacheSettings(table),
    clock: deps.clock,
    maxEntryChars: section.maxEntryChars ?? CACHE_DEFAULTS.maxEntryChars,
    onError: (operation, err) => {
      // One line per kind of failure until it changes: a Redis outage must not flood the log.
      const line = `response cache: ${operation} failed (${(err as Error).message}); the request goes on without the cache`;
      if (line !== lastError) deps.logger?.warn(line);
      lastError = line;
    },
  });
  let forgotten = 0;
  return {
    cache,
    forget: async (cacheKey) => {
      const dropped = await cache.forget(cacheKey);
      if (dropped) forgotten++;
      return dropped;
    },
    backend: deps.redis ? 'redis' : 'memory',
    semantic: Boolean(index),
    stats: () => ({ ...exact.stats(), vectors: local?.size, vectorEvictions: local?.evictions, vectorsReceived: shared?.received, forgotten }),
    start: () => shared?.start(),
    close: async () => shared?.close(),
  };
}
