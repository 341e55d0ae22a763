import type { FinishReason } from '../ports/provider';

/** One cached answer: what was said, by which arm, for whom, and when. */
export interface CachedAnswer {
  /** The exact key (cache-key.ts). */
  key: string;
  tenant: string;
  /** The semantic scope the entry belongs to. */
  scope: string;
  text: string;
  finishReason: FinishReason;
  arm: string;
  provider: string;
  model: string;
  /** The request whose answer this is (the first to ask it). */
  requestId: string;
  /**
   * The last user turn the answer was given to (cache-key.ts `question`): what the semantic guards
   * compare a new question with, and what an operator audits a hit against. Absent on entries
   * written before it was kept; those are served exactly, never semantically with guards on.
   */
  question?: string;
  storedAt: number;
  expiresAt: number;
}

/** Exact-key store: bounded (LRU) in memory, or shared in Redis. Errors are thrown, the cache catches them. */
export interface ExactCacheStore {
  get(key: string): Promise<CachedAnswer | undefined>;
  /** Keeps the entry until `entry.expiresAt`; returns false when the store refuses it (too large). */
  set(entry: CachedAnswer): Promise<boolean>;
  delete(key: string): Promise<void>;
}

export interface SemanticMatch {
  /** The exact key of the matched entry. */
  key: string;
  /** Cosine similarity, 1 = same direction. */
  similarity: number;
}

/**
 * Nearest-neighbour search over question embeddings, partitioned by scope: a lookup only ever
 * sees entries of its own scope (tenant, class, params, history), so it cannot cross tenants.
 */
export interface SemanticIndex {
  nearest(scope: string, vector: Float32Array, k: number): Promise<SemanticMatch[]>;
  add(scope: string, key: string, vector: Float32Array): Promise<void>;
  remove(scope: string, key: string): Promise<void>;
}

/** Text → embedding vector (an OpenAI-compatible embeddings endpoint in production). */
export interface Embedder {
  embed(text: string, signal: AbortSignal): Promise<Float32Array>;
}
