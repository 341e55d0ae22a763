import type { SemanticIndex, SemanticMatch } from '@switchyard/core';
import { Index, MetricKind } from 'usearch';

interface Scope {
  index: Index;
  dimensions: number;
  labels: Map<string, bigint>;
  keys: Map<bigint, string>;
}

/**
 * Question embeddings in USearch HNSW indexes (cosine), one index per scope: a lookup searches
 * only its own scope's index, so tenants (and classes, params, histories) never meet. At most
 * `maxEntries` vectors in all; beyond that the oldest are removed first. Per replica: with
 * STATE_BACKEND=redis replicas exchange new vectors through RedisSemanticFeed.
 */
export class UsearchSemanticIndex implements SemanticIndex {
  private readonly scopes = new Map<string, Scope>();
  /** Insertion order, for the bound: [scope, key] oldest first. */
  private readonly order = new Map<string, [string, string]>();
  private nextLabel = 1n;
  evictions = 0;

  constructor(private readonly options: { maxEntries: number; connectivity?: number; expansionAdd?: number; expansionSearch?: number }) {}

  get size(): number {
    return this.order.size;
  }

  has(scope: string, key: string): boolean {
    return this.scopes.get(scope)?.labels.has(key) ?? false;
  }

  async nearest(scope: string, vector: Float32Array, k: number): Promise<SemanticMatch[]> {
    const s = this.scopes.get(scope);
    if (!s || s.keys.size === 0) return [];
    if (vector.length !== s.dimensions) throw new Error(`embedding has ${vector.length} dimensions, the index ${s.dimensions} (did the embedding model change?)`);
    const found = s.index.search(vector, Math.min(k, s.keys.size), 1);
    const matches: SemanticMatch[] = [];
    for (let i = 0; i < found.keys.length; i++) {
      const key = s.keys.get(found.keys[i]);
      // USearch's cosine distance is 1 − cosine similarity.
      if (key !== undefined) matches.push({ key, similarity: 1 - found.distances[i] });
    }
    return matches;
  }

  async add(scope: string, key: string, vector: Float32Array): Promise<void> {
    let s = this.scopes.get(scope);
    if (!s) {
      const index = new Index({
        dimensions: vector.length,
        metric: MetricKind.Cos,
        connectivity: this.options.connectivity ?? 16,
        expansion_add: this.options.expansionAdd ?? 64,
        expansion_search: this.options.expansionSearch ?? 64,
      } as ConstructorParameters<typeof Index>[0]);
      s = { index, dimensions: vector.length, labels: new Map(), keys: new Map() };
      this.scopes.set(scope, s);
    }
    if (vector.length !== s.dimensions) throw new Error(`embedding has ${vector.length} dimensions, the index ${s.dimensions} (did the embedding model change?)`);
    if (s.labels.has(key)) await this.remove(scope, key);
    const label = this.nextLabel++;
    s.index.add(label, vector, 1);
    s.labels.set(key, label);
    s.keys.set(label, key);
    this.order.set(`${scope}/${key}`, [scope, key]);
    while (this.order.size > this.options.maxEntries) {
      const [oldScope, oldKey] = this.order.values().next().value!;
      await this.remove(oldScope, oldKey);
      this.evictions++;
    }
  }

  async remove(scope: string, key: string): Promise<void> {
    this.order.delete(`${scope}/${key}`);
    const s = this.scopes.get(scope);
    const label = s?.labels.get(key);
    if (!s || label === undefined) return;
    s.index.remove(label);
    s.labels.delete(key);
    s.keys.delete(label);
    if (s.keys.size === 0) this.scopes.delete(scope);
  }
}
