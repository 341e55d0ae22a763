import { InMemoryBudgetStore, InMemoryIdempotencyStore, type BudgetStore, type Clock, type IdempotencyStore, type StoredAnswer } from '@switchyard/core';
import { Redis } from 'ioredis';
import { stateEnvSchema, type StateEnv } from '../config/state-env';
import { RedisBudgetStore } from './redis-budget-store';
import { RedisIdempotencyStore } from './redis-idempotency-store';
import { describeCause, StateStoreUnavailableError, type StateLogger } from './state-store-errors';

export interface StateStores {
  readonly backend: StateEnv['STATE_BACKEND'];
  readonly budget: BudgetStore;
  /** `putAt` is the response-log warmer's hook (see pipeline/response-log-warmer.ts). */
  readonly idempotency: IdempotencyStore & { putAt(answer: StoredAnswer, at: number): void };
  /** The Redis client (redis backend only), e.g. for a health check. */
  readonly redis?: Redis;
  /** Resolves once the backend can serve (redis: connected), else rejects after `timeoutMs`. */
  ready(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface StateStoreDeps {
  clock: Clock;
  logger?: StateLogger;
}

/**
 * The budget and idempotency stores chosen by STATE_BACKEND. `env` is any source holding the
 * variables of `stateEnvShape` (process.env, or the parsed router env merged over it).
 */
export function createStateStores(env: Readonly<Record<string, unknown>>, deps: StateStoreDeps): StateStores {
  const parsed = stateEnvSchema.safeParse(env);
  if (!parsed.success) throw new Error(`Invalid state backend environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const config = parsed.data;
  if (config.STATE_BACKEND === 'memory') {
    return {
      backend: 'memory',
      budget: new InMemoryBudgetStore(),
      idempotency: new InMemoryIdempotencyStore(deps.clock, { ttlMs: config.IDEMPOTENCY_TTL_MS, maxEntries: config.IDEMPOTENCY_MAX_ENTRIES }),
      ready: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
  }

  const redis = createRedisClient(config.REDIS_URL, config.REDIS_COMMAND_TIMEOUT_MS, deps.logger);
  const budget = new RedisBudgetStore(redis, { prefix: config.REDIS_KEY_PREFIX, reservationTtlMs: config.BUDGET_RESERVATION_TTL_MS, logger: deps.logger });
  // Settlements that failed during an outage are replayed as soon as Redis is back.
  redis.on('ready', () => void budget.flushPending());
  const idempotency = new RedisIdempotencyStore(redis, {
    prefix: config.REDIS_KEY_PREFIX,
    ttlMs: config.IDEMPOTENCY_TTL_MS,
    localMaxEntries: Math.min(config.IDEMPOTENCY_MAX_ENTRIES, 10_000),
    clock: deps.clock,
    logger: deps.logger,
  });
  return {
    backend: 'redis',
    budget,
    idempotency,
    redis,
    ready: (timeoutMs = 10_000) => redisReady(redis, timeoutMs),
    close: async () => {
      await budget.flushPending().catch(() => undefined);
      redis.disconnect();
    },
  };
}

/**
 * A client that fails fast instead of queueing: while disconnected every command rejects at once
 * (no offline queue, no resend), and a command unanswered within `commandTimeoutMs` rejects. It
 * reconnects forever in the background (backoff up to 2 s).
 */
export function createRedisClient(url: string, commandTimeoutMs: number, logger?: StateLogger): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: commandTimeoutMs,
    connectTimeout: Math.max(commandTimeoutMs, 2_000),
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
    connectionName: 'switchyard-router',
  });
  // Log transitions, not every failed reconnect attempt.
  let down = false;
  redis.on('error', (err: unknown) => {
    if (down) return;
    down = true;
    logger?.warn(`redis ${redactUrl(url)} unavailable: ${describeCause(err)} (budget reservations refuse until it is back)`);
  });
  redis.on('ready', () => {
    if (down) logger?.log?.(`redis ${redactUrl(url)} is back`);
    down = false;
  });
  return redis;
}

function redisReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let lastError: unknown = 'not connected';
    const onError = (err: unknown) => (lastError = err);
    const done = (err?: Error) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('error', onError);
      if (err) reject(err);
      else resolve();
    };
    const onReady = () => done();
    const timer = setTimeout(() => done(new StateStoreUnavailableError('redis', `connect (${timeoutMs} ms)`, lastError)), timeoutMs);
    redis.on('ready', onReady);
    redis.on('error', onError);
  });
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
