/**
 * `off`: never read or written. `read-write`: looked up before routing (a hit costs no provider
 * call and no budget), written after an answer passes its checks, and read as the last resort when
 * every arm failed. `fallback-only`: written the same way, read only as the last resort.
 */
export type CacheMode = 'off' | 'read-write' | 'fallback-only';
export const CACHE_MODES: readonly CacheMode[] = ['off', 'read-write', 'fallback-only'];

/** What a request may set under `routing.cache`; each field narrows or overrides its class's. */
export interface RequestCacheOptions {
  mode?: CacheMode;
  /** Oldest cached answer this request accepts before routing (the last resort accepts any live entry). */
  maxAgeMs?: number;
  /** Allow a semantic (similar question) hit; ignored when the class or table has no embedder. */
  semantic?: boolean;
}

/** Per request class (routing table `classes.<name>.cache`) and table-wide (`cache:`). */
export interface CacheClassSettings extends RequestCacheOptions {
  /** How long an entry is kept (and usable as the last resort). */
  ttlMs?: number;
  /** Cosine similarity a semantic hit needs (0..1]. */
  similarity?: number;
}

export interface ResolvedCachePolicy {
  mode: CacheMode;
  maxAgeMs: number;
  ttlMs: number;
  semantic: boolean;
  similarity: number;
}

/**
 * Defaults: off unless configured (an answer served from a cache is a product decision); entries
 * live a day and are fresh for an hour; a semantic hit needs cosine similarity ≥ 0.95, which on
 * common embedding models keeps paraphrases and drops questions that differ in one entity.
 */
export const DEFAULT_CACHE_POLICY: ResolvedCachePolicy = { mode: 'off', maxAgeMs: 3_600_000, ttlMs: 86_400_000, semantic: false, similarity: 0.95 };

/** What the policy reads of a request (a RouteRequest is one; the cache needs no more of it). */
export interface CacheRequest {
  class: string;
  routing: { cache?: RequestCacheOptions };
}

/** Request over class over table over the defaults. A request's maxAgeMs can only narrow. */
export function resolveCachePolicy(request: CacheRequest, table: CacheClassSettings | undefined, classes: Readonly<Record<string, CacheClassSettings>>): ResolvedCachePolicy {
  const cls = classes[request.class] ?? {};
  const asked = request.routing.cache ?? {};
  const base = { ...DEFAULT_CACHE_POLICY, ...defined(table ?? {}), ...defined(cls) };
  const ttlMs = base.ttlMs;
  const maxAgeMs = Math.min(asked.maxAgeMs ?? base.maxAgeMs, base.maxAgeMs, ttlMs);
  return {
    mode: asked.mode ?? base.mode,
    maxAgeMs,
    ttlMs,
    // A request can switch semantic matching off for itself, and on only where the class allows it.
    semantic: base.semantic && asked.semantic !== false,
    similarity: base.similarity,
  };
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
