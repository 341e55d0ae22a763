import { InMemoryIdempotencyStore, type Clock, type IdempotencyStore, type StoredAnswer } from '@switchyard/core';
import type { Redis } from 'ioredis';
import { describeCause, type StateLogger } from './state-store-errors';

export interface RedisIdempotencyStoreOptions {
  /** How long an answer is kept (SET … PX). */
  ttlMs: number;
  /** Key prefix (keep a `{hash tag}`, as for the budget keys). Default `{switchyard}:`. */
  prefix?: string;
  /**
   * This replica's own answers are also kept in memory (at most this many, same TTL), so that
   * while Redis is unreachable a redelivery to this replica is still answered from its store.
   * 0 disables. Default 10 000.
   */
  localMaxEntries?: number;
  clock: Clock;
  logger?: StateLogger;
}

/** What is stored under the key: the answer as JSON with the value bytes in base64. */
interface Encoded {
  v: 1;
  requestId: string;
  tenant: string;
  topic: string;
  headers: Record<string, string>;
  value: string;
  /** The request's hash (StoredAnswer.requestHash), when known. */
  h?: string;
}

/**
 * IdempotencyStore shared by every replica: one `SET key json PX ttl` per answer, one GET per
 * lookup; `get` returns the exact bytes `put` stored. Redis failures never fail a request: `put`
 * keeps the answer locally and logs; `get` falls back to the local answers (a miss otherwise), so
 * during an outage duplicates are caught per replica only (the budget store still fails closed).
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  private readonly prefix: string;
  private readonly local?: InMemoryIdempotencyStore;

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisIdempotencyStoreOptions,
  ) {
    if (!(options.ttlMs > 0)) throw new RangeError(`ttlMs must be > 0, got ${options.ttlMs}`);
    this.prefix = options.prefix ?? '{switchyard}:';
    const maxEntries = options.localMaxEntries ?? 10_000;
    if (maxEntries > 0) this.local = new InMemoryIdempotencyStore(options.clock, { ttlMs: options.ttlMs, maxEntries });
  }

  async get(requestId: string): Promise<StoredAnswer | undefined> {
    let raw: string | null;
    try {
      raw = await this.redis.get(this.key(requestId));
    } catch (err) {
      this.options.logger?.warn(`idempotency lookup of ${requestId} fell back to this replica's answers: redis unavailable (${describeCause(err)})`);
      return this.local?.get(requestId);
    }
    if (raw === null) return this.local?.get(requestId);
    return decode(raw);
  }

  /**
   * Marks `requestId` as being routed by `owner` (SET NX PX). Without Redis this replica routes
   * anyway: idempotency degrades to per replica while budgets still fail closed.
   */
  async claim(requestId: string, owner: string, ttlMs: number): Promise<boolean> {
    try {
      if ((await this.redis.set(this.claimKey(requestId), owner, 'PX', ttlMs, 'NX')) === 'OK') return true;
      return (await this.redis.get(this.claimKey(requestId))) === owner;
    } catch {
      return true;
    }
  }

  async renewClaim(requestId: string, ttlMs: number): Promise<void> {
    try {
      await this.redis.pexpire(this.claimKey(requestId), ttlMs);
    } catch {
      // The claim lapses; at worst another replica routes the request too.
    }
  }

  private claimKey(requestId: string): string {
    return `${this.prefix}claim:${requestId}`;
  }

  async put(answer: StoredAnswer): Promise<void> {
    await this.putFirst(answer);
  }

  /**
   * Stores `answer` unless another replica already stored one for this id (SET NX), and returns
   * the answer that is stored now: the first writer wins. Two replicas can route the same id at
   * once after a rebalance (the old owner still finishing it, the new owner redelivered it); both
   * then publish the winner's bytes, so duplicates on the response topic stay byte-identical.
   */
  async putFirst(answer: StoredAnswer): Promise<StoredAnswer> {
    let winner = answer;
    try {
      const key = this.key(answer.requestId);
      const set = await this.redis.set(key, encode(answer), 'PX', this.options.ttlMs, 'NX');
      if (set === null) {
        const raw = await this.redis.get(key);
        if (raw !== null) winner = decode(raw);
      }
    } catch (err) {
      this.options.logger?.warn(`idempotency answer for ${answer.requestId} kept on this replica only: redis unavailable (${describeCause(err)})`);
    }
    await this.local?.put(winner);
    return winner;
  }

  /**
   * Warms this replica's local answers (the response-log warmer's hook). Redis already holds what
   * any replica stored, so nothing is written there.
   */
  putAt(answer: StoredAnswer, at: number): void {
    this.local?.putAt(answer, at);
  }

  /** Remaining TTL in ms of a stored answer (-2 absent), for tests and diagnostics. */
  ttlOf(requestId: string): Promise<number> {
    return this.redis.pttl(this.key(requestId));
  }

  private key(requestId: string): string {
    return `${this.prefix}idem:${requestId}`;
  }
}

function encode(answer: StoredAnswer): string {
  const value = Buffer.from(answer.value.buffer, answer.value.byteOffset, answer.value.byteLength).toString('base64');
  const encoded: Encoded = { v: 1, requestId: answer.requestId, tenant: answer.tenant, topic: answer.topic, headers: answer.headers, value, ...(answer.requestHash ? { h: answer.requestHash } : {}) };
  return JSON.stringify(encoded);
}

function decode(raw: string): StoredAnswer {
  const e = JSON.parse(raw) as Encoded;
  return { requestId: e.requestId, tenant: e.tenant, topic: e.topic, headers: e.headers, value: Buffer.from(e.value, 'base64'), ...(e.h ? { requestHash: e.h } : {}) };
}
