import { DEFAULT_SUMMARY_MAX_TOKENS, type ClassFallbackGuard, type ClassReduction, type Embedder } from '@switchyard/core';
import { OpenAiEmbedder } from '@switchyard/providers';
import type { LoadedRoutingTable } from '../config/routing-table.loader';

/** `classes.<name>.reduction` of every class that has one, as the core's settings. */
export function classReductions(table: Pick<LoadedRoutingTable, 'classes'>): Record<string, ClassReduction> {
  const out: Record<string, ClassReduction> = {};
  for (const [name, c] of Object.entries(table.classes)) {
    const r = typeof c.reduction === 'string' ? { method: c.reduction } : c.reduction;
    if (!r) continue;
    // The schema refuses summarize without a summariser.
    out[name] = r.method === 'summarize' ? { method: 'summarize', summarizeWith: r.summarizeWith!, summaryMaxTokens: r.summaryMaxTokens ?? DEFAULT_SUMMARY_MAX_TOKENS } : { method: r.method };
  }
  return out;
}

/** `classes.<name>.fallbackGuard` of every class that has one, as the core's settings. */
export function classFallbackGuards(table: Pick<LoadedRoutingTable, 'classes'>): Record<string, ClassFallbackGuard> {
  const out: Record<string, ClassFallbackGuard> = {};
  for (const [name, c] of Object.entries(table.classes)) {
    const g = c.fallbackGuard;
    if (!g) continue;
    out[name] = 'judge' in g ? { kind: 'judge', judge: g.judge, prompt: g.prompt } : { kind: 'similarity', minSimilarity: g.minSimilarity, recent: g.recent };
  }
  return out;
}

/** The similarity guard embeds answers where the response cache embeds questions (`cache.embeddings`). */
export function guardEmbedder(table: Pick<LoadedRoutingTable, 'cache' | 'endpoints'>): Embedder | undefined {
  const embeddings = table.cache?.embeddings;
  const endpoint = embeddings && table.endpoints.find((e) => e.name === embeddings.provider);
  return endpoint ? new OpenAiEmbedder(endpoint, embeddings.model) : undefined;
}
