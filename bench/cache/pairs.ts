// Semantic cache precision and recall on the labelled question pairs (bench/cache/pairs.jsonl):
// each pair's first question is answered and cached, then its second is looked up through
// ResponseCache.lookup (the router's own code path, USearch index, provider-sim's embedding
// computed in process). A hit on a pair labelled `same: false` is a wrong answer served; a hit on
// a pair labelled `same: true` is a paraphrase served.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ResponseCache, type RouteRequest } from '@switchyard/core';
import { embedText } from '../../apps/provider-sim/src/embeddings';
import { MemoryExactStore } from '../../apps/router/src/cache/memory-exact-store';
import { UsearchSemanticIndex } from '../../apps/router/src/cache/usearch-semantic-index';
import { SystemClock } from '../../apps/router/src/system/system-clock';

export interface LabelledPair {
  id: number;
  /** paraphrase, or the kind of near-miss: entity, number, currency, date, quoted, direction, person, negation, question, attribute, long-entity. */
  kind: string;
  cached: string;
  asked: string;
  /** True when one answer serves both questions. */
  same: boolean;
}

export interface PairSetting {
  similarity: number;
  guards: boolean;
}

export interface PairResult extends PairSetting {
  paraphrases: number;
  paraphrasesHit: number;
  recallPct: number;
  nearMisses: number;
  wrongHits: number;
  /** Served different questions, by near-miss kind. */
  wrongByKind: Record<string, number>;
  /** Near-misses above the threshold that a guard turned into a miss, by guard. */
  rejectedBy: Record<string, number>;
  /** Ids of the wrong hits and of the paraphrases missed (to read them in pairs.jsonl). */
  wrongIds: number[];
  missedParaphraseIds: number[];
}

export const PAIR_THRESHOLDS = [0.8, 0.85, 0.9, 0.95];

export function loadPairs(path = join(process.cwd(), 'bench/cache/pairs.jsonl')): LabelledPair[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as LabelledPair);
}

function request(id: string, tenant: string, text: string): RouteRequest {
  return { id, tenant, class: 'faq', messages: [{ role: 'user', content: text }], params: {}, routing: { objective: 'balanced' } };
}

export async function evaluatePairs(pairs: readonly LabelledPair[], setting: PairSetting): Promise<PairResult> {
  const clock = new SystemClock();
  const embedder = { embed: (text: string) => Promise.resolve(Float32Array.from(embedText(text))) };
  const cache = new ResponseCache({
    exact: new MemoryExactStore({ maxEntries: pairs.length * 2, clock }),
    semantic: { index: new UsearchSemanticIndex({ maxEntries: pairs.length * 2 }), embedder, embedTimeoutMs: 2_000 },
    table: { mode: 'read-write', semantic: true, similarity: setting.similarity, guards: setting.guards },
    clock,
    maxEntryChars: 32_768,
  });
  const result: PairResult = { ...setting, paraphrases: 0, paraphrasesHit: 0, recallPct: 0, nearMisses: 0, wrongHits: 0, wrongByKind: {}, rejectedBy: {}, wrongIds: [], missedParaphraseIds: [] };
  for (const pair of pairs) {
    // One tenant per pair: each lookup sees only its own pair's entry.
    const tenant = `pair-${pair.id}`;
    const first = request(`${tenant}-cached`, tenant, pair.cached);
    await cache.store(first, cache.probe(first), { text: `answer to pair ${pair.id}`, finishReason: 'stop', arm: 'mini', provider: 'sim', model: 'gpt-4o-mini' });
    const second = request(`${tenant}-asked`, tenant, pair.asked);
    const found = await cache.lookup(second, cache.probe(second), 'first');
    const hit = found.result === 'hit';
    if (pair.same) {
      result.paraphrases++;
      if (hit) result.paraphrasesHit++;
      else result.missedParaphraseIds.push(pair.id);
    } else {
      result.nearMisses++;
      if (hit) {
        result.wrongHits++;
        result.wrongByKind[pair.kind] = (result.wrongByKind[pair.kind] ?? 0) + 1;
        result.wrongIds.push(pair.id);
      } else if (found.result === 'miss' && found.rejected) {
        result.rejectedBy[found.rejected] = (result.rejectedBy[found.rejected] ?? 0) + 1;
      }
    }
  }
  result.recallPct = Math.round((1000 * result.paraphrasesHit) / Math.max(1, result.paraphrases)) / 10;
  return result;
}

export async function pairSweep(pairs: readonly LabelledPair[]): Promise<PairResult[]> {
  const out: PairResult[] = [];
  for (const guards of [false, true]) for (const similarity of PAIR_THRESHOLDS) out.push(await evaluatePairs(pairs, { similarity, guards }));
  return out;
}

export function pairsMarkdown(pairs: readonly LabelledPair[], results: readonly PairResult[], defaults: PairSetting): string {
  const kinds = [...new Set(pairs.filter((p) => !p.same).map((p) => p.kind))];
  const count = (kind: string) => pairs.filter((p) => !p.same && p.kind === kind).length;
  const byKind = (r: PairResult) => kinds.map((k) => r.wrongByKind[k] ?? 0).join(' | ');
  const isDefault = (r: PairResult) => r.similarity === defaults.similarity && r.guards === defaults.guards;
  return [
    `Labelled pairs (bench/cache/pairs.jsonl): ${results[0]?.paraphrases ?? 0} paraphrases, ${results[0]?.nearMisses ?? 0} near-misses; provider-sim embeddings; the shipped default is marked *.`,
    '',
    `| similarity | guards | wrong-answer hits | paraphrases hit (recall) | ${kinds.map((k) => `${k} (${count(k)})`).join(' | ')} |`,
    `|---|---|---|---|${kinds.map(() => '---').join('|')}|`,
    ...results.map((r) => `| ${r.similarity}${isDefault(r) ? ' *' : ''} | ${r.guards ? 'on' : 'off'} | ${r.wrongHits} of ${r.nearMisses} | ${r.paraphrasesHit} of ${r.paraphrases} (${r.recallPct}%) | ${byKind(r)} |`),
    '',
  ].join('\n');
}
