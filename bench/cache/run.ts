// Response cache benchmark: what the cache saves on a workload of repeated and paraphrased
// questions, what it answers while every arm is down, and what a lookup costs at 10k and 100k
// entries.
//
//   npm run bench:cache                       # full run, ~3 min on the 2-core dev machine
//   npm run bench:cache -- --quick            # smaller workload and 10k entries only
//   npm run bench:cache -- --out bench/results
//   npm run bench:cache -- --pairs            # only the labelled pairs (precision/recall), seconds
//
// 1. Workload: QUESTIONS distinct questions ("What is the <attribute> of <item>?"), each asked in
//    one of five phrasings (filler, order, case), popularity Zipf(s = 1), REQUESTS requests at
//    CONCURRENCY in flight, through the core Router, the official OpenAI SDK and the provider
//    simulator (real HTTP, simulated latency). The same request sequence runs with the cache off,
//    exact only, and exact + semantic: hit rate, provider calls, answer latency, and wrong semantic
//    hits (served the answer to a different question; must be 0).
// 2. Outage: every arm down, OUTAGE_REQUESTS requests for questions answered before (any phrasing):
//    share answered from the cache, with the cache read-write (hits before routing, the rest as the
//    last resort) and fallback-only (everything through the last resort).
// 3. Lookup cost: ResponseCache.lookup p50/p99 in µs with N entries in one scope (the worst case:
//    one tenant and class): exact (key hashing + LRU get) and semantic (USearch search + get,
//    embedding excluded); the embedding call through the SDK is reported separately.
//
// 4. Precision and recall on the labelled pairs (pairs.ts): wrong-answer hits and paraphrases hit
//    per similarity threshold, guards on and off.
//
// Writes <out>/cache.json and <out>/cache.md (--pairs: <out>/cache-pairs.json and .md).
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CACHE_POLICY, OrderedSelector, ResponseCache, Router, SeededRandom, type ArmConfig, type CacheClassSettings, type RouteRequest, type RouteResult } from '@switchyard/core';
import { makeArm } from '@switchyard/core/testing';
import { OpenAiEmbedder, SdkProviderRegistry } from '@switchyard/providers';
import { startProviderSim, type ProviderSim } from '../../apps/provider-sim/src';
import { embedText } from '../../apps/provider-sim/src/embeddings';
import { MemoryExactStore } from '../../apps/router/src/cache/memory-exact-store';
import { UsearchSemanticIndex } from '../../apps/router/src/cache/usearch-semantic-index';
import { SystemClock } from '../../apps/router/src/system/system-clock';
import { summarize, round, type Summary } from '../support/stats';
import { loadPairs, pairSweep, pairsMarkdown, type PairResult } from './pairs';

const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const PAIRS_ONLY = args.includes('--pairs');
const PAIR_DEFAULTS = { similarity: DEFAULT_CACHE_POLICY.similarity, guards: DEFAULT_CACHE_POLICY.guards };
const OUT = args.includes('--out') ? args[args.indexOf('--out') + 1] : 'bench/results';
const QUESTIONS = QUICK ? 200 : 600;
const REQUESTS = QUICK ? 1_000 : 4_000;
const CONCURRENCY = 32;
const OUTAGE_REQUESTS = QUICK ? 200 : 500;
const SIZES = QUICK ? [10_000] : [10_000, 100_000];
const LOOKUPS = 5_000;
const SIMILARITY = DEFAULT_CACHE_POLICY.similarity;

const ATTRIBUTES = ['price', 'weight', 'warranty period', 'release date', 'battery life', 'screen size', 'colour options', 'return policy', 'shipping time', 'power usage'];
const PHRASINGS = [
  (a: string, e: string) => `What is the ${a} of ${e}?`,
  (a: string, e: string) => `Could you please tell me the ${a} of ${e}`,
  (a: string, e: string) => `${e}: what's the ${a}?`,
  (a: string, e: string) => `I'd like to know the ${a} of ${e}, please.`,
  (a: string, e: string) => `TELL ME THE ${a.toUpperCase()} OF ${e.toUpperCase()}`,
];

interface Asked {
  question: number;
  text: string;
}

const log = (line: string) => process.stderr.write(`[bench:cache] ${line}\n`);

function questionText(q: number, phrasing: number): string {
  const attribute = ATTRIBUTES[q % ATTRIBUTES.length];
  const item = `gadget${Math.floor(q / ATTRIBUTES.length)}`;
  return PHRASINGS[phrasing](attribute, item);
}

/** Zipf(s = 1) ranks 0..n-1 by inverse CDF. */
function zipfSampler(n: number, random: SeededRandom): () => number {
  const cdf: number[] = [];
  let sum = 0;
  for (let k = 1; k <= n; k++) cdf.push((sum += 1 / k));
  return () => {
    const u = random.next() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

function workload(seed: number): Asked[] {
  const random = new SeededRandom(seed);
  const zipf = zipfSampler(QUESTIONS, random);
  return Array.from({ length: REQUESTS }, () => {
    const question = zipf();
    return { question, text: questionText(question, Math.floor(random.next() * PHRASINGS.length)) };
  });
}

const ARMS: ArmConfig[] = [makeArm('mini', { model: 'gpt-4o-mini', pricing: { inputPer1M: 0.15, outputPer1M: 0.6 }, timeouts: { connectMs: 1_000, totalMs: 10_000 } })];

function request(id: string, text: string, deadlineMs?: number): RouteRequest {
  return { id, tenant: 'bench', class: 'faq', messages: [{ role: 'user', content: text }], params: {}, routing: { objective: 'balanced', ...(deadlineMs ? { deadlineMs } : {}) } };
}

interface Stores {
  exact: MemoryExactStore;
  index: UsearchSemanticIndex;
}

function makeCache(stores: Stores, embedder: OpenAiEmbedder, settings: CacheClassSettings, semantic: boolean): ResponseCache {
  return new ResponseCache({
    exact: stores.exact,
    semantic: semantic ? { index: stores.index, embedder, embedTimeoutMs: 2_000 } : undefined,
    table: settings,
    clock: new SystemClock(),
    maxEntryChars: 32_768,
  });
}

function makeRouter(sim: ProviderSim, cache: ResponseCache | undefined): Router {
  const providers = new SdkProviderRegistry([{ name: 'sim', kind: 'openai', baseUrl: sim.openaiBaseURL, apiKey: 'bench' }]);
  return new Router({ arms: ARMS, providers, selector: new OrderedSelector(), clock: new SystemClock(), cache, random: new SeededRandom(1) });
}

async function runAll<T>(items: T[], concurrency: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

interface WorkloadResult {
  mode: string;
  requests: number;
  providerCalls: number;
  callsSavedPct: number;
  exactHits: number;
  semanticHits: number;
  hitRatePct: number;
  wrongSemanticHits: number;
  latencyMs: Summary;
  hitLatencyMs?: Summary;
  missLatencyMs: Summary;
}

async function runWorkload(sim: ProviderSim, mode: 'off' | 'exact' | 'semantic', asked: Asked[], stores: Stores, embedder: OpenAiEmbedder, answeredBy: Map<string, number>): Promise<WorkloadResult> {
  const cache = mode === 'off' ? undefined : makeCache(stores, embedder, { mode: 'read-write', semantic: mode === 'semantic', similarity: SIMILARITY }, mode === 'semantic');
  const router = makeRouter(sim, cache);
  const before = sim.calls().length;
  const latencies: number[] = [];
  const hitLatencies: number[] = [];
  const missLatencies: number[] = [];
  let exactHits = 0;
  let semanticHits = 0;
  let wrong = 0;
  const t0 = Date.now();
  await runAll(asked, CONCURRENCY, async (a, i) => {
    const id = `${mode}-${i}`;
    const started = performance.now();
    const result: RouteResult = await router.route(request(id, a.text));
    const ms = performance.now() - started;
    latencies.push(ms);
    if (result.cache) {
      hitLatencies.push(ms);
      if (result.cache.kind === 'exact') exactHits++;
      else semanticHits++;
      if (result.cache.kind === 'semantic' && answeredBy.get(`${mode}:${result.output!.text}`) !== a.question) wrong++;
    } else {
      missLatencies.push(ms);
      if (result.output) answeredBy.set(`${mode}:${result.output.text}`, a.question);
    }
    if ((i + 1) % 1000 === 0) log(`${mode}: ${i + 1}/${asked.length} requests (${Math.round((Date.now() - t0) / 1000)} s)`);
  });
  const providerCalls = sim.calls().length - before;
  return {
    mode,
    requests: asked.length,
    providerCalls,
    callsSavedPct: round((100 * (asked.length - providerCalls)) / asked.length),
    exactHits,
    semanticHits,
    hitRatePct: round((100 * (exactHits + semanticHits)) / asked.length),
    wrongSemanticHits: wrong,
    latencyMs: summarize(latencies),
    hitLatencyMs: hitLatencies.length ? summarize(hitLatencies) : undefined,
    missLatencyMs: summarize(missLatencies),
  };
}

interface OutageResult {
  mode: string;
  requests: number;
  fromCachePct: number;
  lastResortPct: number;
  failed: number;
}

async function runOutage(sim: ProviderSim, asked: Asked[], stores: Stores, embedder: OpenAiEmbedder, mode: 'read-write' | 'fallback-only'): Promise<OutageResult> {
  const seen = [...new Set(asked.map((a) => a.question))];
  const random = new SeededRandom(mode === 'read-write' ? 7 : 8);
  const sample = Array.from({ length: OUTAGE_REQUESTS }, () => {
    const question = seen[Math.floor(random.next() * seen.length)];
    return { question, text: questionText(question, Math.floor(random.next() * PHRASINGS.length)) };
  });
  const router = makeRouter(sim, makeCache(stores, embedder, { mode, semantic: true, similarity: SIMILARITY }, true));
  let cached = 0;
  let lastResort = 0;
  let failed = 0;
  await runAll(sample, CONCURRENCY, async (a, i) => {
    const result = await router.route(request(`outage-${mode}-${i}`, a.text, 2_000));
    if (result.cache) cached++;
    if (result.cache?.lastResort) lastResort++;
    if (result.status === 'failed') failed++;
  });
  return { mode, requests: sample.length, fromCachePct: round((100 * cached) / sample.length), lastResortPct: round((100 * lastResort) / sample.length), failed };
}

interface LookupResult {
  entries: number;
  buildS: number;
  exactUs: Summary;
  semanticUs: Summary;
  semanticSearchOnlyUs: Summary;
}

async function lookupCost(entries: number): Promise<LookupResult> {
  const clock = new SystemClock();
  const exact = new MemoryExactStore({ maxEntries: entries * 2, clock });
  const index = new UsearchSemanticIndex({ maxEntries: entries * 2 });
  const noEmbed = { embed: () => Promise.reject(new Error('not used: vectors are given')) };
  const cache = new ResponseCache({ exact, semantic: { index, embedder: noEmbed, embedTimeoutMs: 1_000 }, table: { mode: 'read-write', semantic: true, similarity: SIMILARITY }, clock, maxEntryChars: 32_768 });
  const text = (i: number) => `What is the ${ATTRIBUTES[i % ATTRIBUTES.length]} of item${Math.floor(i / ATTRIBUTES.length)}?`;
  const t0 = performance.now();
  for (let i = 0; i < entries; i++) {
    const req = request(`fill-${i}`, text(i));
    const probe = cache.probe(req);
    probe.vector = Promise.resolve(Float32Array.from(embedText(text(i))));
    await cache.store(req, probe, { text: `answer ${i}`, finishReason: 'stop', arm: 'mini', provider: 'sim', model: 'gpt-4o-mini' });
    if ((i + 1) % 20_000 === 0) log(`filling ${entries}: ${i + 1} entries (${Math.round((performance.now() - t0) / 1000)} s)`);
  }
  const buildS = round((performance.now() - t0) / 1000);
  const random = new SeededRandom(entries);
  const exactUs: number[] = [];
  const semanticUs: number[] = [];
  const searchUs: number[] = [];
  let hits = 0;
  for (let n = 0; n < LOOKUPS; n++) {
    const i = Math.floor(random.next() * entries);
    const req = request(`look-${n}`, text(i));
    let s = performance.now();
    const probe = cache.probe(req);
    const found = await cache.lookup(req, probe, 'first');
    exactUs.push((performance.now() - s) * 1_000);
    if (found.result === 'hit') hits++;
    // Semantic: a paraphrase (no exact entry), its vector given, so the embedding call is excluded.
    const para = request(`para-${n}`, `please tell me the ${ATTRIBUTES[i % ATTRIBUTES.length]} of item${Math.floor(i / ATTRIBUTES.length)}`);
    const vector = Float32Array.from(embedText(para.messages[0].content));
    s = performance.now();
    const paraProbe = cache.probe(para);
    paraProbe.vector = Promise.resolve(vector);
    const semantic = await cache.lookup(para, paraProbe, 'first');
    semanticUs.push((performance.now() - s) * 1_000);
    if (semantic.result === 'hit') hits++;
    s = performance.now();
    await index.nearest(paraProbe.keys.scope, vector, 3);
    searchUs.push((performance.now() - s) * 1_000);
  }
  if (hits < LOOKUPS * 1.9) log(`warning: only ${hits} of ${2 * LOOKUPS} lookups hit at ${entries} entries`);
  return { entries, buildS, exactUs: summarize(exactUs, 1), semanticUs: summarize(semanticUs, 1), semanticSearchOnlyUs: summarize(searchUs, 1) };
}

async function embeddingLatency(embedder: OpenAiEmbedder): Promise<Summary> {
  const ms: number[] = [];
  for (let i = 0; i < 500; i++) {
    const s = performance.now();
    await embedder.embed(questionText(i, i % PHRASINGS.length), AbortSignal.timeout(5_000));
    ms.push(performance.now() - s);
  }
  return summarize(ms);
}

async function runPairs(): Promise<{ results: PairResult[]; markdown: string }> {
  const pairs = loadPairs();
  const results = await pairSweep(pairs);
  const d = results.find((r) => r.similarity === PAIR_DEFAULTS.similarity && r.guards === PAIR_DEFAULTS.guards);
  if (d) log(`labelled pairs at the default (similarity ${d.similarity}, guards ${d.guards ? 'on' : 'off'}): ${d.wrongHits} wrong-answer hits of ${d.nearMisses} near-misses, ${d.recallPct}% of ${d.paraphrases} paraphrases hit`);
  return { results, markdown: pairsMarkdown(pairs, results, PAIR_DEFAULTS) };
}

async function main(): Promise<void> {
  if (PAIRS_ONLY) {
    const { results, markdown: md } = await runPairs();
    mkdirSync(OUT, { recursive: true });
    writeFileSync(join(OUT, 'cache-pairs.json'), JSON.stringify({ date: new Date().toISOString(), defaults: PAIR_DEFAULTS, results }, null, 2) + '\n');
    writeFileSync(join(OUT, 'cache-pairs.md'), `# bench:cache --pairs (${new Date().toISOString()})\n\n${md}`);
    process.stdout.write(md);
    return;
  }
  const pairs = await runPairs();
  const load = loadavg()[0];
  log(`${QUESTIONS} questions × ${PHRASINGS.length} phrasings, ${REQUESTS} requests (Zipf s=1) at ${CONCURRENCY} in flight; load ${load.toFixed(2)}`);
  const sim = await startProviderSim({
    seed: 3,
    config: { models: [{ name: 'gpt-4o-mini', api: 'openai', outputTokens: 60, latency: { medianMs: 400, p95Ms: 900 } }] },
  });
  const embedder = new OpenAiEmbedder({ name: 'sim', kind: 'openai-compatible', baseUrl: sim.openaiBaseURL }, 'text-embedding-3-small');
  try {
    const asked = workload(42);
    const answeredBy = new Map<string, number>();
    const results: WorkloadResult[] = [];
    let semanticStores: Stores | undefined;
    for (const mode of ['off', 'exact', 'semantic'] as const) {
      const stores = { exact: new MemoryExactStore({ maxEntries: 100_000, clock: new SystemClock() }), index: new UsearchSemanticIndex({ maxEntries: 100_000 }) };
      results.push(await runWorkload(sim, mode, asked, stores, embedder, answeredBy));
      if (mode === 'semantic') semanticStores = stores;
      log(`${mode}: hit rate ${results.at(-1)!.hitRatePct}%, provider calls ${results.at(-1)!.providerCalls}, p50 ${results.at(-1)!.latencyMs.p50} ms`);
    }
    sim.patchModel('gpt-4o-mini', { faults: { outage: true } });
    const outage = [await runOutage(sim, asked, semanticStores!, embedder, 'read-write'), await runOutage(sim, asked, semanticStores!, embedder, 'fallback-only')];
    sim.patchModel('gpt-4o-mini', { faults: { outage: false } });
    for (const o of outage) log(`outage (${o.mode}): ${o.fromCachePct}% answered from the cache (${o.lastResortPct}% as the last resort), ${o.failed} failed`);
    const embedMs = await embeddingLatency(embedder);
    log(`embedding call through the SDK: p50 ${embedMs.p50} ms, p99 ${embedMs.p99} ms`);
    const lookups: LookupResult[] = [];
    for (const n of SIZES) {
      lookups.push(await lookupCost(n));
      const l = lookups.at(-1)!;
      log(`${n} entries: exact p50 ${l.exactUs.p50} µs p99 ${l.exactUs.p99} µs; semantic p50 ${l.semanticUs.p50} µs p99 ${l.semanticUs.p99} µs (built in ${l.buildS} s)`);
    }
    const report = { date: new Date().toISOString(), loadAvgAtStart: round(load, 2), quick: QUICK, questions: QUESTIONS, requests: REQUESTS, concurrency: CONCURRENCY, similarity: SIMILARITY, workload: results, outage, embeddingCallMs: embedMs, lookups, pairs: pairs.results, pairsMarkdown: pairs.markdown };
    mkdirSync(OUT, { recursive: true });
    writeFileSync(join(OUT, 'cache.json'), JSON.stringify(report, null, 2) + '\n');
    writeFileSync(join(OUT, 'cache.md'), markdown(report));
    log(`wrote ${join(OUT, 'cache.json')} and cache.md`);
    process.stdout.write(markdown(report));
  } finally {
    await sim.close();
  }
}

function markdown(r: { date: string; loadAvgAtStart: number; questions: number; requests: number; concurrency: number; similarity: number; workload: WorkloadResult[]; outage: OutageResult[]; embeddingCallMs: Summary; lookups: LookupResult[]; pairsMarkdown: string }): string {
  const lines = [
    `# bench:cache (${r.date}, load ${r.loadAvgAtStart})`,
    '',
    `${r.requests} requests over ${r.questions} questions × ${PHRASINGS.length} phrasings, Zipf s = 1, ${r.concurrency} in flight, provider-sim gpt-4o-mini (median 400 ms), similarity ≥ ${r.similarity}.`,
    '',
    '| cache | hit rate | exact | semantic | wrong semantic hits | provider calls | calls saved | latency p50 / p99 ms | hit p50 / p99 ms |',
    '|---|---|---|---|---|---|---|---|---|',
    ...r.workload.map((w) => `| ${w.mode} | ${w.hitRatePct}% | ${w.exactHits} | ${w.semanticHits} | ${w.wrongSemanticHits} | ${w.providerCalls} | ${w.callsSavedPct}% | ${w.latencyMs.p50} / ${w.latencyMs.p99} | ${w.hitLatencyMs ? `${w.hitLatencyMs.p50} / ${w.hitLatencyMs.p99}` : '-'} |`),
    '',
    'Every arm down, requests for questions answered before (any phrasing):',
    '',
    '| mode | requests | answered from the cache | of which as the last resort | failed |',
    '|---|---|---|---|---|',
    ...r.outage.map((o) => `| ${o.mode} | ${o.requests} | ${o.fromCachePct}% | ${o.lastResortPct}% | ${o.failed} |`),
    '',
    `Lookup cost (ResponseCache.lookup, one scope holding every entry; the embedding call excluded, measured apart: p50 ${r.embeddingCallMs.p50} ms, p99 ${r.embeddingCallMs.p99} ms through the SDK to provider-sim):`,
    '',
    '| entries | exact p50 / p99 µs | semantic p50 / p99 µs | of which USearch search p50 / p99 µs | fill time s |',
    '|---|---|---|---|---|',
    ...r.lookups.map((l) => `| ${l.entries} | ${l.exactUs.p50} / ${l.exactUs.p99} | ${l.semanticUs.p50} / ${l.semanticUs.p99} | ${l.semanticSearchOnlyUs.p50} / ${l.semanticSearchOnlyUs.p99} | ${l.buildS} |`),
    '',
    r.pairsMarkdown,
  ];
  return lines.join('\n');
}

main().catch((err) => {
  process.stderr.write(`[bench:cache] failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
