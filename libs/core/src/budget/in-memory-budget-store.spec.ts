import { InMemoryBudgetStore } from './in-memory-budget-store';
import { budgetStoreContract } from './testing/budget-store-contract';

budgetStoreContract('InMemoryBudgetStore', () => new InMemoryBudgetStore());

describe('InMemoryBudgetStore', () => {
  it('prunes windows that are no longer current', async () => {
    const store = new InMemoryBudgetStore();
    const old = { key: 'global', windowId: 'hour:2025-03-01T14', capUsd: 1 };
    await store.reserve(1, [old]);
    store.prune((id) => id !== old.windowId);
    expect((await store.usage([old]))[0].usedUsd).toBe(0);
  });

  it('rejects a negative amount', async () => {
    await expect(new InMemoryBudgetStore().reserve(-1, [])).rejects.toThrow(RangeError);
  });
});
