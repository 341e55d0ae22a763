import { Router } from '../router';
import { RouterEventBus, type RouterEvent } from '../events/router-events';
import { OrderedSelector } from '../routing/ordered-selector';
import type { RouteRequest } from '../routing/route-request';
import { BruteForceIndex, ManualClock, MapCacheStore, ScriptedProviders, WordEmbedder, makeArm, type ScriptedStep } from '../testing';
import { settle } from '../resilience/spec-support';
import { ResponseCache, type ResponseCacheOptions } from './response-cache';
import { cacheKeys } from './cache-key';
import type { CacheClassSettings } from './cache-policy';

let nextId = 0;
function request(overrides: Partial<RouteRequest> & { question?: string } = {}): RouteRequest {
  const { question = 'What is the capital of France?', ...rest } = overrides;
  return {
    id: `req-${++nextId}`,
    tenant: 't1',
    class: 'faq',
    messages: [{ role: 'user', content: question }],
    params: {},
    routing: { objective: 'balanced' },
    ...rest,
  };
}

function setup(opts: { scripts?: Record<string, ScriptedStep[]>; table?: CacheClassSettings; classes?: Record<string, CacheClassSettings>; semantic?: boolean; maxEntryChars?: number } = {}) {
  const clock = new ManualClock(1_000_000);
  const providers = new ScriptedProviders(clock, opts.scripts ?? {});
  const store = new MapCacheStore();
  const index = new BruteForceIndex();
  const embedder = new WordEmbedder();
  const errors: string[] = [];
  const cacheOptions: ResponseCacheOptions = {
    exact: store,
    semantic: opts.semantic === false ? undefined : { index, embedder, embedTimeoutMs: 50 },
    table: opts.table ?? { mode: 'read-write' },
    classes: opts.classes ?? { faq: { semantic: true, similarity: 0.9 } },
    clock,
    maxEntryChars: opts.maxEntryChars ?? 10_000,
    onError: (what) => errors.push(what),
  };
  const cache = new ResponseCache(cacheOptions);
  const events: RouterEvent[] = [];
  const bus = new RouterEventBus();
  bus.subscribe((e) => events.push(e));
  const router = new Router({ arms: [makeArm('a'), makeArm('b')], providers, selector: new OrderedSelector(), clock, events: bus, cache });
  return { clock, providers, store, index, embedder, errors, router, events, cache };
}

const lookups = (events: RouterEvent[]) => events.filter((e) => e.type === 'cache.lookup');

describe('cache keys', () => {
  it('normalise whitespace but keep everything that can change an answer', () => {
    const base = request();
    expect(cacheKeys({ ...base, messages: [{ role: 'user', content: '  What is the   capital of France? ' }] }).exact).toBe(cacheKeys(base).exact);
    for (const other of [
      { ...base, tenant: 't2' },
      { ...base, class: 'chat' },
      { ...base, params: { temperature: 0.7 } },
      { ...base, params: { responseFormat: { type: 'json_object' as const } } },
      { ...base, routing: { ...base.routing, models: ['a'] } },
      { ...base, messages: [{ role: 'system' as const, content: 'Be brief.' }, ...base.messages] },
      { ...base, messages: [{ role: 'user' as const, content: 'what is the capital of france?' }] },
      { ...base, params: { tools: [{ name: 'lookup' }] } },
      { ...base, messages: [...base.messages, { role: 'assistant' as const, content: '', toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{"q":"france"}' }] }, { role: 'tool' as const, toolCallId: 'c1', content: 'Paris' }] },
    ]) {
      expect(cacheKeys(other).exact).not.toBe(cacheKeys(base).exact);
    }
  });

  it('put paraphrases of the last user turn in one semantic scope, and other histories or tenants in others', () => {
    const a = cacheKeys(request());
    const b = cacheKeys(request({ question: 'Tell me the capital of France' }));
    expect(b.scope).toBe(a.scope);
    expect(b.exact).not.toBe(a.exact);
    expect(cacheKeys(request({ tenant: 't2' })).scope).not.toBe(a.scope);
    const withHistory = request({ messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }, { role: 'user', content: 'What is the capital of France?' }] });
    expect(cacheKeys(withHistory).scope).not.toBe(a.scope);
    expect(cacheKeys(withHistory).question).toBe('What is the capital of France?');
  });
});

describe('Router with a response cache', () => {
  it('answers a repeat from the exact cache with no provider call and no cost', async () => {
    const { router, providers, events } = setup();
    const first = await router.route(request({ id: 'r1' }));
    expect(first.status).toBe('ok');
    expect(first.cache).toBeUndefined();
    const second = await router.route(request({ id: 'r2' }));
    expect(providers.calls).toHaveLength(1);
    expect(second).toMatchObject({ status: 'ok', output: first.output, attempts: [], usage: { costUsd: 0 }, cache: { kind: 'exact', similarity: 1, lastResort: false, arm: 'a' } });
    expect(second.servedBy).toBeUndefined();
    expect(lookups(events).map((e) => e.type === 'cache.lookup' && e.result)).toEqual(['miss', 'hit']);
    expect(events.some((e) => e.type === 'cache.stored' && e.result === 'stored' && e.semantic)).toBe(true);
  });

  it('answers a paraphrase from the semantic cache above the class threshold, and routes an unrelated question', async () => {
    const { router, providers } = setup();
    await router.route(request({ question: 'What is the capital of France?' }));
    const paraphrase = await router.route(request({ question: 'what is the capital of france' }));
    expect(paraphrase.cache).toMatchObject({ kind: 'semantic', lastResort: false });
    expect(paraphrase.cache!.similarity).toBeGreaterThanOrEqual(0.9);
    const other = await router.route(request({ question: 'How tall is Mount Everest?' }));
    expect(other.cache).toBeUndefined();
    expect(providers.calls).toHaveLength(2);
  });

  it('refuses a close neighbour that asks something else (guards), counts the miss by guard, and names the entry of a hit', async () => {
    const { router, providers, events } = setup({ classes: { faq: { semantic: true, similarity: 0.5 } } });
    await router.route(request({ id: 'first-asker', question: 'How do I convert USD to EUR?' }));
    const swapped = await router.route(request({ question: 'How do I convert EUR to USD?' }));
    expect(swapped.cache).toBeUndefined();
    expect(lookups(events).at(-1)).toMatchObject({ result: 'miss', rejected: 'order' });
    const reworded = await router.route(request({ question: 'how can I convert USD to EUR' }));
    expect(reworded.cache).toMatchObject({ kind: 'semantic', firstRequestId: 'first-asker', entryKey: cacheKeys(request({ question: 'How do I convert USD to EUR?' })).exact });
    expect(lookups(events).at(-1)).toMatchObject({ result: 'hit', firstRequestId: 'first-asker', cachedQuestion: 'How do I convert USD to EUR?' });
    expect(providers.calls).toHaveLength(2);
  });

  it('trusts similarity alone where a class turns the guards off', async () => {
    const { router } = setup({ classes: { faq: { semantic: true, similarity: 0.5, guards: false } } });
    await router.route(request({ question: 'How do I convert USD to EUR?' }));
    expect((await router.route(request({ question: 'How do I convert EUR to USD?' }))).cache?.kind).toBe('semantic');
  });

  it('asks the class’s judge arm before serving a semantic hit: DIFFERENT is a miss, SAME a hit, and its cost is the request’s either way', async () => {
    const judged = (text: string) => [{ ok: true as const, text, usage: { inputTokens: 60, outputTokens: 1 } }];
    const { router, providers, events } = setup({ classes: { faq: { semantic: true, similarity: 0.5, verifyWith: 'b' } }, scripts: { b: judged('DIFFERENT') } });
    await router.route(request({ id: 'asker', question: 'What is the boiling point of water at sea level?' }));
    const refused = await router.route(request({ question: 'What is the freezing point of water at sea level?' }));
    expect(refused.cache).toBeUndefined();
    expect(refused.servedBy?.arm).toBe('a');
    expect(lookups(events).at(-1)).toMatchObject({ result: 'miss', rejected: 'judge', judge: { arm: 'b', same: false, costUsd: 0.000062 } });
    expect(refused.usage.costUsd).toBeCloseTo(0.000062 + refused.attempts[0].costUsd, 9);

    providers.setScript('b', judged('SAME.'));
    const served = await router.route(request({ question: 'what is the boiling point of water at sea level' }));
    expect(served.cache).toMatchObject({ kind: 'semantic', firstRequestId: 'asker' });
    expect(served.usage).toEqual({ inputTokens: 60, outputTokens: 1, costUsd: 0.000062 });
    expect(providers.calls.map((c) => c.arm)).toEqual(['a', 'b', 'a', 'b']);
  });

  it('treats a judge that fails as a miss, never a hit', async () => {
    const { router, events } = setup({ classes: { faq: { semantic: true, similarity: 0.5, verifyWith: 'b' } }, scripts: { b: [{ ok: false, kind: 'server_error' }] } });
    await router.route(request({ question: 'What is the capital of France?' }));
    expect((await router.route(request({ question: 'what is the capital of france' }))).cache).toBeUndefined();
    expect(lookups(events).at(-1)).toMatchObject({ result: 'miss', rejected: 'judge_error', judge: { arm: 'b', same: false } });
  });

  it('never serves one tenant another tenant’s entry, exactly or semantically, before routing or as the last resort', async () => {
    const { router, providers, clock } = setup();
    await router.route(request({ tenant: 'A' }));
    // Every arm down: tenant B's requests store nothing, and any cache hit could only be A's.
    providers.setScript('a', [{ ok: false, kind: 'server_error' }]);
    providers.setScript('b', [{ ok: false, kind: 'server_error' }]);
    const exact = await settle(clock, router.route(request({ tenant: 'B' })));
    const semantic = await settle(clock, router.route(request({ tenant: 'B', question: 'what is the capital of france' })));
    expect([exact.status, exact.cache, semantic.status, semantic.cache]).toEqual(['failed', undefined, 'failed', undefined]);
    // The same requests as tenant A are answered from A's entry.
    expect((await settle(clock, router.route(request({ tenant: 'A', question: 'what is the capital of france' })))).cache?.kind).toBe('semantic');
  });

  it('never serves a request with tools semantically, nor a class without semantic matching', async () => {
    const { router } = setup({ classes: { faq: { semantic: true, similarity: 0.9 } } });
    const tools = [{ name: 'lookup' }];
    await router.route(request({ params: { tools } }));
    expect((await router.route(request({ params: { tools }, question: 'what is the capital of france' }))).cache).toBeUndefined();
    await router.route(request({ class: 'chat' }));
    expect((await router.route(request({ class: 'chat', question: 'what is the capital of france' }))).cache).toBeUndefined();
    expect((await router.route(request({ class: 'chat' }))).cache?.kind).toBe('exact');
  });

  it('honours maxAgeMs before routing, but serves an older live entry as the last resort when every arm fails', async () => {
    const { router, clock, providers } = setup({ table: { mode: 'read-write', maxAgeMs: 60_000, ttlMs: 3_600_000 } });
    await router.route(request());
    await clock.advance(120_000);
    const stale = await router.route(request());
    expect(stale.cache).toBeUndefined();
    expect(providers.calls).toHaveLength(2);

    providers.setScript('a', [{ ok: false, kind: 'server_error' }]);
    providers.setScript('b', [{ ok: false, kind: 'server_error' }]);
    await clock.advance(600_000);
    const down = await settle(clock, router.route(request({ question: 'what is the capital of france?' })));
    expect(down.status).toBe('ok');
    expect(down.cache).toMatchObject({ lastResort: true });
    expect(down.cache!.ageMs).toBeGreaterThanOrEqual(600_000); // plus the time the failing attempts took
    expect(down.attempts.length).toBeGreaterThan(0);
    expect(down.attempts.every((a) => a.kind === 'server_error')).toBe(true);
  });

  it('fallback-only mode writes but reads only as the last resort; a past-TTL entry is not served', async () => {
    const { router, clock, providers } = setup({ table: { mode: 'fallback-only', ttlMs: 60_000 } });
    await router.route(request());
    await router.route(request());
    expect(providers.calls).toHaveLength(2);
    providers.setScript('a', [{ ok: false, kind: 'server_error' }]);
    providers.setScript('b', [{ ok: false, kind: 'server_error' }]);
    expect((await settle(clock, router.route(request()))).cache?.lastResort).toBe(true);
    await clock.advance(61_000);
    const expired = await settle(clock, router.route(request()));
    expect(expired.status).toBe('failed');
    expect(expired.cache).toBeUndefined();
  });

  it('a request can turn the cache off for itself', async () => {
    const { router, providers } = setup();
    await router.route(request());
    const result = await router.route(request({ routing: { objective: 'balanced', cache: { mode: 'off' } } }));
    expect(result.cache).toBeUndefined();
    expect(providers.calls).toHaveLength(2);
  });

  it('does not cache cut or oversized answers', async () => {
    const { cache } = setup({ maxEntryChars: 100 });
    const answer = { arm: 'a', provider: 'sim', model: 'a' };
    const req = request();
    const probe = cache.probe(req);
    expect(await cache.store(req, probe, { ...answer, text: 'cut', finishReason: 'length' })).toEqual({ result: 'skipped', reason: 'finish reason length' });
    expect(await cache.store(req, probe, { ...answer, text: 'x'.repeat(101), finishReason: 'stop' })).toEqual({ result: 'skipped', reason: 'answer of 101 chars over the 100 limit' });
    expect(await cache.lookup(req, probe, 'last_resort')).toMatchObject({ result: 'miss' });
  });

  it('a failing store or embedder never fails a request: the lookup is a miss and the request is routed', async () => {
    const { router, store, embedder, errors } = setup();
    store.failing = true;
    embedder.failing = true;
    const result = await router.route(request());
    expect(result.status).toBe('ok');
    expect(result.servedBy?.arm).toBe('a');
    expect(errors).toEqual(expect.arrayContaining(['exact lookup', 'embedding', 'exact write']));
  });

  it('an embedder that hangs is abandoned after embedTimeoutMs (on the injected clock)', async () => {
    const { router, embedder, errors, clock } = setup();
    embedder.hang = true;
    const result = await settle(clock, router.route(request()));
    expect(result.status).toBe('ok');
    expect(errors).toContain('embedding');
  });

  it('stays out of the way when the mode is off: no lookup, no write', async () => {
    const { router, store, embedder, events } = setup({ table: { mode: 'off' }, classes: {} });
    await router.route(request());
    await router.route(request());
    expect(store.entries.size).toBe(0);
    expect(embedder.calls).toBe(0);
    expect(events.filter((e) => e.type.startsWith('cache.'))).toEqual([]);
  });
});

describe('ResponseCache without semantic matching', () => {
  it('serves exact repeats only', async () => {
    const { router, providers } = setup({ semantic: false });
    await router.route(request());
    expect((await router.route(request())).cache?.kind).toBe('exact');
    expect((await router.route(request({ question: 'what is the capital of france' }))).cache).toBeUndefined();
    expect(providers.calls).toHaveLength(2);
  });
});

describe('ResponseCache.forget (bad feedback)', () => {
  it('the answer carries the key of the entry holding it, written or served, and forgetting it stops the hits', async () => {
    const { router, cache, providers } = setup();
    const orig = await router.route(request({ id: 'orig' }));
    const served = await router.route(request({ id: 'served' }));
    expect(orig.cacheKey).toMatch(/^[0-9a-f]{64}$/);
    expect(served.cacheKey).toBe(orig.cacheKey);
    expect(providers.calls).toHaveLength(1);
    expect(await cache.forget(served.cacheKey!)).toBe(true);
    expect(await cache.forget(served.cacheKey!)).toBe(false);
    const after = await router.route(request({ id: 'after' }));
    expect(after.cache).toBeUndefined();
    expect(providers.calls).toHaveLength(2);
  });

  it('a paraphrase no longer hits once its entry is forgotten', async () => {
    const { router, cache, providers } = setup();
    const orig = await router.route(request({ id: 'orig' }));
    expect(await cache.forget(orig.cacheKey!)).toBe(true);
    expect((await router.route(request({ question: 'what is the capital of france' }))).cache).toBeUndefined();
    expect(providers.calls).toHaveLength(2);
  });

  it('an answer that was not cached has no key', async () => {
    const { router } = setup({ table: { mode: 'off' }, classes: {} });
    expect((await router.route(request())).cacheKey).toBeUndefined();
  });
});

describe('a streamed request and the cache', () => {
  it('a hit returns the whole cached answer and streams nothing (the edge sends it at once)', async () => {
    const { router, providers } = setup();
    const first = await router.route(request());
    const pieces: string[] = [];
    const hit = await router.route(request(), undefined, { stream: { text: (d) => pieces.push(d) } });
    expect(hit.cache?.kind).toBe('exact');
    expect(hit.output?.text).toBe(first.output?.text);
    expect(pieces).toEqual([]);
    expect(providers.calls).toHaveLength(1);
  });
});

describe('request coalescing', () => {
  it('a burst of one question costs one provider call: the others wait for its answer', async () => {
    const { router, providers, clock } = setup({ scripts: { a: [{ ok: true, latencyMs: 500 }] } });
    const burst = await settle(clock, Promise.all([1, 2, 3, 4].map((n) => router.route(request({ id: `burst-${n}` })))));
    expect(providers.calls).toHaveLength(1);
    expect(burst.map((r) => (r.cache ? 'cache' : r.servedBy?.arm))).toEqual(['a', 'cache', 'cache', 'cache']);
  });

  it('when the leader fails, a waiting request routes itself', async () => {
    const { router, providers, clock } = setup({ scripts: { a: [{ ok: false, kind: 'bad_request', latencyMs: 100 }, { ok: true }], b: [{ ok: false, kind: 'bad_request', latencyMs: 100 }, { ok: true }] } });
    const [first, second] = await settle(clock, Promise.all([router.route(request({ id: 'lead' })), router.route(request({ id: 'follow' }))]));
    expect(first.status).toBe('failed');
    expect(second.status).toBe('ok');
    expect(second.cache).toBeUndefined();
    expect(providers.calls.length).toBeGreaterThanOrEqual(3);
  });

  it('only read-write requests coalesce', async () => {
    const { router, providers, clock } = setup({ table: { mode: 'fallback-only' }, scripts: { a: [{ ok: true, latencyMs: 500 }] } });
    await settle(clock, Promise.all([1, 2].map((n) => router.route(request({ id: `fo-${n}` })))));
    expect(providers.calls).toHaveLength(2);
  });
});
