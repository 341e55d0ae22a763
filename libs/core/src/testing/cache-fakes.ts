import type { CachedAnswer, Embedder, ExactCacheStore, SemanticIndex, SemanticMatch } from '../cache/cache-ports';

/** A Map-backed exact store for core tests; `failing` makes every call throw. */
export class MapCacheStore implements ExactCacheStore {
  readonly entries = new Map<string, CachedAnswer>();
  failing = false;

  async get(key: string): Promise<CachedAnswer | undefined> {
    if (this.failing) throw new Error('store down');
    return this.entries.get(key);
  }

  async set(entry: CachedAnswer): Promise<boolean> {
    if (this.failing) throw new Error('store down');
    this.entries.set(entry.key, entry);
    return true;
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }
}

/** Brute-force cosine search per scope (tests only; production uses a vector index library). */
export class BruteForceIndex implements SemanticIndex {
  readonly scopes = new Map<string, Map<string, Float32Array>>();

  async nearest(scope: string, vector: Float32Array, k: number): Promise<SemanticMatch[]> {
    const entries = this.scopes.get(scope) ?? new Map<string, Float32Array>();
    return [...entries]
      .map(([key, v]) => ({ key, similarity: cosine(v, vector) }))
      .sort((a, b) => b.similarity - a.similarity)
      .slice(0, k);
  }

  async add(scope: string, key: string, vector: Float32Array): Promise<void> {
    let entries = this.scopes.get(scope);
    if (!entries) this.scopes.set(scope, (entries = new Map()));
    entries.set(key, vector);
  }

  async remove(scope: string, key: string): Promise<void> {
    this.scopes.get(scope)?.delete(key);
  }
}

/** Bag-of-words embedding over a fixed vocabulary: texts with the same words point the same way. */
export class WordEmbedder implements Embedder {
  calls = 0;
  failing = false;
  hang = false;

  async embed(text: string, signal: AbortSignal): Promise<Float32Array> {
    this.calls++;
    if (this.failing) throw new Error('embedder down');
    if (this.hang) return new Promise<Float32Array>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)));
    const v = new Float32Array(64);
    for (const word of text.toLowerCase().match(/[a-z]+/g) ?? []) {
      let h = 0;
      for (const ch of word) h = (h * 31 + ch.charCodeAt(0)) % 64;
      v[h] += 1;
    }
    return v;
  }
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}
