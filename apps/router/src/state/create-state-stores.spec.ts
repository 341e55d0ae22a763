import { describe, expect, it } from '@jest/globals';
import { InMemoryBudgetStore, InMemoryIdempotencyStore } from '@switchyard/core';
import { SystemClock } from '../system/system-clock';
import { stateEnvSchema } from '../config/state-env';
import { createStateStores } from './create-state-stores';
import { windowLengthMs } from './redis-budget-store';

describe('createStateStores', () => {
  const clock = new SystemClock();

  it('defaults to the in-memory stores (one instance, no Redis)', async () => {
    const stores = createStateStores({}, { clock });
    expect(stores.backend).toBe('memory');
    expect(stores.budget).toBeInstanceOf(InMemoryBudgetStore);
    expect(stores.idempotency).toBeInstanceOf(InMemoryIdempotencyStore);
    expect(stores.redis).toBeUndefined();
    await expect(stores.ready()).resolves.toBeUndefined();
    await stores.close();
  });

  it('rejects an unknown backend, naming the variable', () => {
    expect(() => createStateStores({ STATE_BACKEND: 'etcd' }, { clock })).toThrow(/STATE_BACKEND/);
  });

  it('has documented defaults', () => {
    expect(stateEnvSchema.parse({})).toMatchObject({
      STATE_BACKEND: 'memory',
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: '{switchyard}:',
      REDIS_COMMAND_TIMEOUT_MS: 1_000,
      BUDGET_RESERVATION_TTL_MS: 600_000,
    });
  });
});

describe('windowLengthMs', () => {
  it('reads the window kind from the window id', () => {
    expect(windowLengthMs('minute:2025-03-01T14:05')).toBe(60_000);
    expect(windowLengthMs('hour:2025-03-01T14')).toBe(3_600_000);
    expect(windowLengthMs('day:2025-03-01')).toBe(86_400_000);
    expect(windowLengthMs('month:2025-03')).toBe(31 * 86_400_000);
    expect(windowLengthMs('fortnight:x')).toBe(31 * 86_400_000);
  });
});
