import type { Clock } from '../ports/clock';
import type { FinishReason } from '../ports/provider';
import type { RouteRequest } from '../routing/route-request';
import { resolveCachePolicy, type CacheClassSettings, type ResolvedCachePolicy } from './cache-policy';
import { cacheKeys, hasTools, type CacheKeys } from './cache-key';
import type { CachedAnswer, Embedder, ExactCacheStore, SemanticIndex } from './cache-ports';
import { failedGuard, type SemanticGuard } from './semantic-guards';
import type { CacheVerifier, JudgeVerdict } from './cache-judge';

export interface SemanticCacheDeps {
  index: SemanticIndex;
  embedder: Embedder;
  /** An embedding call slower than this is abandoned: the lookup is a miss, the request goes on. */
  embedTimeoutMs: number;
}

export interface ResponseCacheOptions {
  exact: ExactCacheStore;
  semantic?: SemanticCacheDeps;
  /** Table-wide settings (`cache:` in the routing table). */
  table?: CacheClassSettings;
  /** Per class (`classes.<name>.cache`). */
  classes?: Readonly<Record<string, CacheClassSettings>>;
  clock: Clock;
  /** Answers longer than this are not cached (characters). */
  maxEntryChars: number;
  /** A store or embedder failure: logged by the caller, never thrown into a request. */
  onError?: (operation: string, err: unknown) => void;
}

/** `first`: before routing; `last_resort`: after every arm failed. */
export type CacheStage = 'first' | 'last_resort';

export interface CacheHit {
  entry: CachedAnswer;
  kind: 'exact' | 'semantic';
  similarity: number;
  ageMs: number;
}

/**
 * Why a semantic neighbour above the threshold was not served: the guard that failed, or
 * `unchecked` (an entry written before entries kept their question, so no guard can run).
 */
export type SemanticRejection = SemanticGuard | 'unchecked' | 'judge' | 'judge_error';

export type LookupResult =
  | { result: 'hit'; hit: CacheHit; judge?: JudgeVerdict }
  | { result: 'miss' | 'error'; embedMs?: number; rejected?: SemanticRejection; judge?: JudgeVerdict }
  | { result: 'skipped'; reason: string };

/** What a lookup learnt about a request, reused when its answer is written. */
export interface CacheProbe {
  policy: ResolvedCachePolicy;
  keys: CacheKeys;
  /** The question's embedding, started at most once per request. */
  vector?: Promise<Float32Array | undefined>;
  embedMs?: number;
}

export interface AnswerToCache {
  text: string;
  finishReason: FinishReason;
  arm: string;
  provider: string;
  model: string;
}

export type StoreResult = { result: 'stored'; semantic: boolean; key: string } | { result: 'skipped'; reason: string } | { result: 'error' };

/** Neighbours fetched per semantic lookup: the best may be an entry evicted from the exact store. */
const NEIGHBOURS = 3;

/**
 * The response cache: an exact-key store plus, where a class allows it, a semantic index over the
 * last user turn. Consulted before routing and as the last resort; written after an answer passed
 * its checks. A failing store or embedder makes a lookup a miss and a write a no-op, never a
 * failed request.
 */
export class ResponseCache {
  private table?: CacheClassSettings;
  /** Exact keys being answered right now by a routed request of this replica. */
  private readonly flights = new Map<string, Promise<void>>();
  private classes: Readonly<Record<string, CacheClassSettings>>;

  constructor(private readonly options: ResponseCacheOptions) {
    this.table = options.table;
    this.classes = options.classes ?? {};
  }

  /** New table-wide and per-class settings (a routing-table reload); entries already cached stay. */
  updateSettings(table: CacheClassSettings | undefined, classes: Readonly<Record<string, CacheClassSettings>>): void {
    this.table = table;
    this.classes = classes;
  }

  /**
   * Request coalescing: the first request of an exact key to miss leads (routes, writes the answer,
   * then `release`s); identical requests that miss meanwhile get `done` and look again after it,
   * so a burst of one question costs one provider call. Per replica.
   */
  joinFlight(probe: CacheProbe): { leader: true; release: () => void } | { leader: false; done: Promise<void> } {
    const key = probe.keys.exact;
    const running = this.flights.get(key);
    if (running) return { leader: false, done: running };
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    this.flights.set(key, done);
    return {
      leader: true,
      release: () => {
        this.flights.delete(key);
        release();
      },
    };
  }

  /** The probe for a request: its resolved policy and keys (cheap; no I/O). */
  probe(request: RouteRequest): CacheProbe {
    return { policy: resolveCachePolicy(request, this.table, this.classes), keys: cacheKeys(request) };
  }

  /** True when anything (a read now or later, or a write) may happen for this request. */
  active(probe: CacheProbe): boolean {
    return probe.policy.mode !== 'off';
  }

  /** `verifier`: the class's judge (policy `verifyWith`), asked once per lookup before a semantic hit is served. */
  async lookup(request: RouteRequest, probe: CacheProbe, stage: CacheStage, verifier?: CacheVerifier): Promise<LookupResult> {
    const { policy, keys } = probe;
    if (policy.mode === 'off') return { result: 'skipped', reason: 'cache off' };
    if (stage === 'first' && policy.mode !== 'read-write') {
      // Start the embedding now so the write after the answer does not wait for it.
      if (this.semanticAllowed(request, probe)) void this.vectorOf(probe);
      return { result: 'skipped', reason: 'fallback-only' };
    }
    const now = this.options.clock.now();
    const fresh = (e: CachedAnswer) => e.tenant === request.tenant && e.expiresAt > now && (stage === 'last_resort' || now - e.storedAt <= policy.maxAgeMs);
    let failed = false;
    try {
      const entry = await this.options.exact.get(keys.exact);
      if (entry && entry.key === keys.exact && fresh(entry)) return this.hit(entry, 'exact', 1, now);
    } catch (err) {
      failed = true;
      this.options.onError?.('exact lookup', err);
    }
    if (!this.semanticAllowed(request, probe)) return { result: failed ? 'error' : 'miss' };
    const semantic = this.options.semantic!;
    let rejected: SemanticRejection | undefined;
    let judge: JudgeVerdict | undefined;
    try {
      const vector = await this.vectorOf(probe);
      if (!vector) return { result: 'error', embedMs: probe.embedMs };
      for (const match of await semantic.index.nearest(keys.scope, vector, NEIGHBOURS)) {
        if (match.similarity < policy.similarity) break;
        const entry = await this.options.exact.get(match.key);
        if (!entry) {
          await semantic.index.remove(keys.scope, match.key);
          continue;
        }
        // The index is partitioned by scope; checking again costs nothing and keeps tenants apart
        // even if an index implementation were wrong.
        if (entry.scope !== keys.scope || !fresh(entry)) continue;
        const rejection = policy.guards ? this.guard(entry, keys.question!) : undefined;
        if (rejection) {
          // The nearest rejected neighbour names the miss; a further one may still pass.
          rejected ??= rejection;
          continue;
        }
        if (policy.verifyWith) {
          // One judge call per lookup at most: its cost is paid whatever it says.
          judge = verifier ? await verifier(entry.question!, keys.question!) : { arm: policy.verifyWith, same: false, costUsd: 0, latencyMs: 0, error: 'no judge available' };
          if (!judge.same) {
            rejected ??= judge.error ? 'judge_error' : 'judge';
            break;
          }
        }
        return { ...this.hit(entry, 'semantic', match.similarity, now), ...(judge ? { judge } : {}) };
      }
    } catch (err) {
      this.options.onError?.('semantic lookup', err);
      return { result: 'error', embedMs: probe.embedMs, ...(judge ? { judge } : {}) };
    }
    return { result: failed ? 'error' : 'miss', embedMs: probe.embedMs, ...(rejected ? { rejected } : {}), ...(judge ? { judge } : {}) };
  }

  private guard(entry: CachedAnswer, question: string): SemanticRejection | undefined {
    return entry.question === undefined ? 'unchecked' : failedGuard(entry.question, question);
  }

  private hit(entry: CachedAnswer, kind: CacheHit['kind'], similarity: number, now: number): Extract<LookupResult, { result: 'hit' }> {
    return { result: 'hit', hit: { entry, kind, similarity, ageMs: now - entry.storedAt } };
  }

  /**
   * Drops the entry `key` (a response's `cacheKey`: bad feedback on an answer that was cached or
   * served from the cache), so it is not served again. Returns whether an entry was there.
   */
  async forget(key: string): Promise<boolean> {
    try {
      if (!(await this.options.exact.get(key))) return false;
      // The vector goes when a lookup next finds it pointing at nothing (see lookup).
      await this.options.exact.delete(key);
      return true;
    } catch (err) {
      this.options.onError?.('forget', err);
      return false;
    }
  }

  /** Writes a checked answer (only complete ones, within the size bound). */
  async store(request: RouteRequest, probe: CacheProbe, answer: AnswerToCache): Promise<StoreResult> {
    const { policy, keys } = probe;
    if (policy.mode === 'off') return { result: 'skipped', reason: 'cache off' };
    if (answer.finishReason !== 'stop') return { result: 'skipped', reason: `finish reason ${answer.finishReason}` };
    if (answer.text.length > this.options.maxEntryChars) return { result: 'skipped', reason: `answer of ${answer.text.length} chars over the ${this.options.maxEntryChars} limit` };
    const now = this.options.clock.now();
    const entry: CachedAnswer = { key: keys.exact, tenant: request.tenant, scope: keys.scope, ...answer, question: keys.question, requestId: request.id, storedAt: now, expiresAt: now + policy.ttlMs };
    try {
      if (!(await this.options.exact.set(entry))) return { result: 'skipped', reason: 'refused by the store' };
    } catch (err) {
      this.options.onError?.('exact write', err);
      return { result: 'error' };
    }
    const key = keys.exact;
    if (!this.semanticAllowed(request, probe)) return { result: 'stored', semantic: false, key };
    try {
      const vector = await this.vectorOf(probe);
      if (!vector) return { result: 'stored', semantic: false, key };
      await this.options.semantic!.index.add(keys.scope, keys.exact, vector);
      return { result: 'stored', semantic: true, key };
    } catch (err) {
      this.options.onError?.('semantic write', err);
      return { result: 'stored', semantic: false, key };
    }
  }

  private semanticAllowed(request: RouteRequest, probe: CacheProbe): boolean {
    return Boolean(this.options.semantic && probe.policy.semantic && probe.keys.question && !hasTools(request));
  }

  /** The question's embedding, at most one call per request; undefined when it failed or timed out. */
  private vectorOf(probe: CacheProbe): Promise<Float32Array | undefined> {
    if (probe.vector) return probe.vector;
    const { embedder, embedTimeoutMs } = this.options.semantic!;
    const { clock } = this.options;
    const started = clock.now();
    const abort = new AbortController();
    // Cancels the timeout's sleep once the embedding settles, so no timer outlives the request.
    const settled = new AbortController();
    // Raced, not only aborted: an embedder that ignores its signal still cannot hold a request.
    const timeout = clock.sleep(embedTimeoutMs, settled.signal).then(
      () => {
        const err = new Error(`embedding took longer than ${embedTimeoutMs} ms`);
        abort.abort(err);
        throw err;
      },
      () => new Promise<never>(() => undefined),
    );
    probe.vector = Promise.race([embedder.embed(probe.keys.question!, abort.signal), timeout])
      .then(
        (v) => v,
        (err: unknown) => {
          this.options.onError?.('embedding', err);
          return undefined;
        },
      )
      .finally(() => {
        settled.abort();
        probe.embedMs = clock.now() - started;
      });
    return probe.vector;
  }
}
