import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BudgetGuard, type BudgetLine, type StoredAnswer } from '@switchyard/core';
import { budgetStoreContract } from '@switchyard/core/budget/testing/budget-store-contract';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { createRedisClient, createStateStores, type StateStores } from '../apps/router/src/state/create-state-stores';
import { RedisBudgetStore, type RedisReserveRefusal } from '../apps/router/src/state/redis-budget-store';
import { RedisIdempotencyStore } from '../apps/router/src/state/redis-idempotency-store';
import { StateStoreUnavailableError } from '../apps/router/src/state/state-store-errors';
import { SystemClock } from '../apps/router/src/system/system-clock';
import { startTestRedis, type TestRedis } from './support/redis';

/**
 * The shared state backend (STATE_BACKEND=redis) against a real redis-server started through
 * infra/redis.sh: the BudgetStore contract, replicas sharing one Redis, idempotent answers, and the
 * fail-closed behaviour while Redis is down.
 */

const clock = new SystemClock();
let server: TestRedis;
const clients: Redis[] = [];

function client(): Redis {
  const redis = createRedisClient(server.url, 1_000);
  redis.on('error', () => undefined); // the outage test makes every client complain
  clients.push(redis);
  return redis;
}

async function connected(redis: Redis): Promise<Redis> {
  if (redis.status !== 'ready') await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  return redis;
}

const prefix = () => `{t-${randomUUID()}}:`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let shared: Redis;

beforeAll(async () => {
  server = await startTestRedis();
  shared = await connected(client());
});

afterAll(() => {
  for (const c of clients) c.disconnect();
  server?.teardown();
});

// Each store gets its own key prefix: a fresh, empty store on the one server.
budgetStoreContract('RedisBudgetStore', () => new RedisBudgetStore(shared, { prefix: prefix() }));

describe('RedisBudgetStore across replicas', () => {
  const line: BudgetLine = { key: 'tenant:acme', windowId: 'hour:2025-03-01T14', capUsd: 1 };
  const global: BudgetLine = { key: 'global', windowId: 'day:2025-03-01', capUsd: 2 };

  it('two replicas (two clients) reserving 200 at once never grant more than the cap', async () => {
    const [a, b] = [await connected(client()), await connected(client())];
    await fc.assert(
      fc.asyncProperty(fc.double({ min: 0.01, max: 5, noNaN: true }), fc.array(fc.double({ min: 0, max: 0.2, noNaN: true }), { minLength: 200, maxLength: 200 }), async (capUsd, amounts) => {
        const p = prefix();
        const replicas = [new RedisBudgetStore(a, { prefix: p }), new RedisBudgetStore(b, { prefix: p })];
        const lines = [{ ...line, capUsd }, { ...global, capUsd: capUsd * 1.5 }];
        const results = await Promise.all(amounts.map((amount, i) => replicas[i % 2].reserve(amount, lines)));
        const granted = results.reduce((sum, r, i) => sum + (r.ok ? amounts[i] : 0), 0);
        expect(granted).toBeLessThanOrEqual(capUsd + 1e-9);
        const [tenant, all] = await replicas[1].usage(lines);
        expect(tenant.usedUsd).toBeCloseTo(granted, 9);
        expect(all.usedUsd).toBeCloseTo(granted, 9);
      }),
      { numRuns: 30, endOnFailure: true },
    );
  });

  it('settlements from one replica free headroom for the other, and spend stays exact', async () => {
    const p = prefix();
    const [a, b] = [new RedisBudgetStore(await connected(client()), { prefix: p }), new RedisBudgetStore(shared, { prefix: p })];
    let settled = 0;
    await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const r = await (i % 2 ? a : b).reserve(0.05, [line]);
        if (!r.ok) return;
        // The other replica settles: a reservation id is valid on every replica.
        await (i % 2 ? b : a).settle(r.reservationId, 0.01);
        settled += 0.01;
      }),
    );
    const [usage] = await a.usage([line]);
    expect(usage.usedUsd).toBeCloseTo(settled, 9);
    expect(usage.usedUsd).toBeLessThanOrEqual(1 + 1e-9);
  });

  it("a crashed replica's reservation lapses after reservationTtlMs", async () => {
    const p = prefix();
    const crashed = new RedisBudgetStore(shared, { prefix: p, reservationTtlMs: 1_000 });
    const r = await crashed.reserve(0.9, [line, global]);
    expect(r.ok).toBe(true); // ...and never settled
    const survivor = new RedisBudgetStore(shared, { prefix: p });
    expect((await survivor.reserve(0.5, [line])).ok).toBe(false);
    await sleep(1_200);
    expect((await survivor.usage([line, global])).map((l) => l.usedUsd)).toEqual([0, 0]);
    expect((await survivor.reserve(0.5, [line])).ok).toBe(true);
    // A late settle still books what the call really cost (without returning the lapsed hold twice).
    if (r.ok) await crashed.settle(r.reservationId, 0.2);
    expect((await survivor.usage([line]))[0].usedUsd).toBeCloseTo(0.7, 10);
  });

  it('window keys expire a little after the window; reservation records with their hold', async () => {
    const p = prefix();
    const store = new RedisBudgetStore(shared, { prefix: p, reservationTtlMs: 60_000, windowGraceMs: 120_000 });
    await store.reserve(0.1, [{ key: 'tenant:ttl', windowId: 'minute:2025-03-01T14:05', capUsd: 1 }, { key: 'global', windowId: 'hour:2025-03-01T14', capUsd: 1 }]);
    const keys = await shared.keys(`${p.replace(/[{}]/g, '\\$&')}*`);
    const ttl = async (part: string) => shared.pttl(keys.find((k) => k.includes(part))!);
    expect(keys).toHaveLength(5); // 2 lines + 2 hold sets + 1 record
    const minuteTtl = await ttl('budget:l:10:tenant:ttl:minute:');
    expect(minuteTtl).toBeGreaterThan(60_000 + 120_000 - 5_000);
    expect(minuteTtl).toBeLessThanOrEqual(60_000 + 120_000);
    const hourTtl = await ttl('budget:l:6:global:hour:');
    expect(hourTtl).toBeGreaterThan(3_600_000 + 120_000 - 5_000);
    expect(hourTtl).toBeLessThanOrEqual(3_600_000 + 120_000);
    expect(await ttl('budget:r:')).toBeGreaterThan(60_000); // hold + settle grace
  });
});

describe('RedisIdempotencyStore', () => {
  const answer = (requestId: string, value: Uint8Array): StoredAnswer => ({
    requestId,
    tenant: 'acme',
    topic: 'llm.responses',
    value,
    headers: { 'content-type': 'application/json', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
  });

  it('answers any replica with the byte-identical value', async () => {
    const p = prefix();
    const writer = new RedisIdempotencyStore(shared, { prefix: p, ttlMs: 60_000, clock, localMaxEntries: 0 });
    const reader = new RedisIdempotencyStore(await connected(client()), { prefix: p, ttlMs: 60_000, clock, localMaxEntries: 0 });
    // Not valid UTF-8, every byte value, a NUL: base64 must carry it unchanged.
    const bytes = new Uint8Array([...Array.from({ length: 256 }, (_, i) => i), ...randomBytes(4096), 0xff, 0xfe, 0x00]);
    const view = new Uint8Array(bytes.buffer, 3, bytes.length - 3); // a view with an offset, like a Kafka Buffer slice
    await writer.put(answer('req-1', view));
    const got = await reader.get('req-1');
    expect(got).toBeDefined();
    expect(Buffer.compare(Buffer.from(got!.value), Buffer.from(view))).toBe(0);
    expect(got).toEqual({ ...answer('req-1', view), value: expect.anything() });
    expect(await reader.get('req-unknown')).toBeUndefined();
    const ttl = await writer.ttlOf('req-1');
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it("keeps the first request's hash beside the answer, for every replica", async () => {
    const p = prefix();
    const writer = new RedisIdempotencyStore(shared, { prefix: p, ttlMs: 60_000, clock, localMaxEntries: 0 });
    const reader = new RedisIdempotencyStore(await connected(client()), { prefix: p, ttlMs: 60_000, clock, localMaxEntries: 0 });
    await writer.put({ ...answer('req-hash', Buffer.from('{}')), requestHash: 'a'.repeat(64) });
    expect((await reader.get('req-hash'))?.requestHash).toBe('a'.repeat(64));
    await writer.put(answer('req-no-hash', Buffer.from('{}')));
    expect(await reader.get('req-no-hash')).not.toHaveProperty('requestHash');
  });

  it('forgets an answer after its TTL', async () => {
    const store = new RedisIdempotencyStore(shared, { prefix: prefix(), ttlMs: 1_000, clock });
    await store.put(answer('req-ttl', Buffer.from('{"status":"ok"}')));
    expect(Buffer.from((await store.get('req-ttl'))!.value).toString()).toBe('{"status":"ok"}');
    await sleep(1_300);
    expect(await store.get('req-ttl')).toBeUndefined();
    expect(await store.ttlOf('req-ttl')).toBe(-2);
  });
});

describe('createStateStores', () => {
  it('chooses memory by default and redis by STATE_BACKEND', async () => {
    const memory = createStateStores({}, { clock });
    expect(memory.backend).toBe('memory');
    await memory.ready();
    const stores = createStateStores({ STATE_BACKEND: 'redis', REDIS_URL: server.url, REDIS_KEY_PREFIX: prefix() }, { clock });
    try {
      expect(stores.backend).toBe('redis');
      await stores.ready(5_000);
      const r = await stores.budget.reserve(0.5, [{ key: 'tenant:f', windowId: 'day:2025-03-01', capUsd: 1 }]);
      expect(r.ok).toBe(true);
      await stores.idempotency.put({ requestId: 'f-1', tenant: 't', topic: 'x', value: Buffer.from([1, 2, 3]), headers: {} });
      expect(Buffer.from((await stores.idempotency.get('f-1'))!.value)).toEqual(Buffer.from([1, 2, 3]));
    } finally {
      await stores.close();
    }
    expect(() => createStateStores({ STATE_BACKEND: 'etcd' }, { clock })).toThrow(/STATE_BACKEND/);
  });
});

describe('Redis outage: budgets fail closed', () => {
  let stores: StateStores;
  const warnings: string[] = [];
  const line: BudgetLine = { key: 'tenant:acme', windowId: 'day:2025-03-01', capUsd: 1 };

  beforeAll(async () => {
    stores = createStateStores(
      { STATE_BACKEND: 'redis', REDIS_URL: server.url, REDIS_KEY_PREFIX: prefix(), REDIS_COMMAND_TIMEOUT_MS: '500' },
      { clock, logger: { warn: (m) => warnings.push(m), log: () => undefined } },
    );
    await stores.ready(5_000);
  });

  afterAll(async () => {
    if (server.managed) server.start(); // leave it running for anything after
    await stores?.close();
  });

  it('refuses reservations while Redis is down, and works again once it is back', async () => {
    if (!server.managed) return; // an external REDIS_URL cannot be stopped by the suite
    const held = await stores.budget.reserve(0.4, [line]);
    if (!held.ok) throw new Error('expected a reservation');

    server.stop();
    const refused = (await stores.budget.reserve(0.1, [line])) as RedisReserveRefusal;
    expect(refused).toMatchObject({ ok: false, blockedBy: 0, remainingUsd: 0, unavailable: true });
    expect(refused.reason).toMatch(/^budget store unavailable \(redis: /);
    expect(refused.lines).toEqual([{ ...line, usedUsd: line.capUsd }]);
    // The router's guard turns it into a refusal (budget_exceeded, no provider call), never a throw.
    const guard = new BudgetGuard({ store: stores.budget, clock, caps: { defaultTenant: { day: 1 } } });
    const arm = { id: 'a', provider: 'openai', model: 'm', pricing: { inputPer1M: 1, outputPer1M: 1 }, maxOutputTokens: 100, contextWindow: 8_000 };
    const verdict = await guard.reserve({ id: 'r', tenant: 'acme', class: 'chat', messages: [{ role: 'user', content: 'hi' }], params: {} } as never, arm as never);
    expect(verdict.ok).toBe(false);
    // A call that was already under way settles later: queued, never thrown.
    await expect(stores.budget.settle(held.reservationId, 0.3)).resolves.toEqual([]);
    expect((stores.budget as RedisBudgetStore).pendingSettlements).toBe(1);
    await expect(stores.budget.usage([line])).rejects.toBeInstanceOf(StateStoreUnavailableError);
    // Idempotency degrades to this replica's own answers instead of failing the request.
    await stores.idempotency.put({ requestId: 'outage-1', tenant: 'acme', topic: 't', value: Buffer.from('v'), headers: {} });
    expect(Buffer.from((await stores.idempotency.get('outage-1'))!.value).toString()).toBe('v');
    expect(warnings.some((w) => w.includes('unavailable'))).toBe(true);

    server.start();
    await stores.ready(10_000);
    await (stores.budget as RedisBudgetStore).flushPending();
    expect((stores.budget as RedisBudgetStore).pendingSettlements).toBe(0);
    // The test server keeps nothing on disk (REDIS_PERSIST=false): it came back empty, so the
    // replayed settlement found no reservation (a no-op) and the whole cap is there again.
    expect((await stores.budget.reserve(1, [line])).ok).toBe(true);
    expect((await stores.budget.reserve(0.01, [line])).ok).toBe(false);
  });
});

describe('Redis stall: a command timeout refuses, deferred settlements are replayed', () => {
  it('keeps the spend exact once Redis answers again', async () => {
    await connected(shared); // reconnected after the outage above
    const p = prefix();
    const line: BudgetLine = { key: 'tenant:stall', windowId: 'day:2025-03-01', capUsd: 1 };
    const slow = createRedisClient(server.url, 300);
    slow.on('error', () => undefined);
    clients.push(slow);
    const store = new RedisBudgetStore(await connected(slow), { prefix: p, reservationTtlMs: 1_000 });
    const held = await store.reserve(0.4, [line]);
    if (!held.ok) throw new Error('expected a reservation');

    await shared.call('CLIENT', 'PAUSE', '1500', 'ALL'); // every other client's commands wait 1.5 s
    const refused = (await store.reserve(0.1, [line])) as RedisReserveRefusal;
    expect(refused.ok).toBe(false);
    expect(refused.reason).toMatch(/budget store unavailable \(redis: .*timed out/i);
    await expect(store.settle(held.reservationId, 0.3)).resolves.toEqual([]);
    expect(store.pendingSettlements).toBe(1);

    await sleep(1_700); // pause over; the timed-out reserve ran after all (its 0.1 hold lapses after 1 s)
    await store.flushPending();
    expect(store.pendingSettlements).toBe(0);
    await sleep(1_100);
    expect((await store.usage([line]))[0].usedUsd).toBeCloseTo(0.3, 10);
    expect((await store.reserve(0.7, [line])).ok).toBe(true);
  });
});
