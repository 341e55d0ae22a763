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
  /**
   * Check a semantic neighbour before serving it (semantic-guards.ts: entities, numbers, dates,
   * quoted text, direction, person, negation, question word must agree). On by default; turning it
   * off trusts the similarity alone.
   */
  guards?: boolean;
  /**
   * An arm id: before a semantic hit is served, that arm judges whether the two questions ask the
   * same (cache-judge.ts); its cost is the hit's cost and counts against the tenant's budget.
   * Absent: no judge.
   */
  verifyWith?: string;
}

export interface ResolvedCachePolicy {
  mode: CacheMode;
  maxAgeMs: number;
  ttlMs: number;
  semantic: boolean;
  similarity: number;
  guards: boolean;
  verifyWith?: string;
}

/**
 * Defaults: off unless configured (an answer served from a cache is a product decision); entries
 * live a day and are fresh for an hour; a semantic hit needs cosine similarity ≥ 0.85 and must pass
 * the guards. Similarity alone cannot tell "USD to EUR" from "EUR to USD" at any threshold that
 * still serves paraphrases (bench:cache -- --pairs: guards off, 46 wrong-answer hits of 130
 * near-misses even at 0.95); with the guards, 0.85 served 0 of them and 84 % of 120 paraphrases.
 */
export const DEFAULT_CACHE_POLICY: ResolvedCachePolicy = { mode: 'off', maxAgeMs: 3_600_000, ttlMs: 86_400_000, semantic: false, similarity: 0.85, guards: true };

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
    guards: base.guards,
    ...(base.verifyWith ? { verifyWith: base.verifyWith } : {}),
  };
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
