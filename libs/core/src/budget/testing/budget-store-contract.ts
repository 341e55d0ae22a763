import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { BudgetLine, BudgetStore } from '../budget-store';

/**
 * The behaviour every BudgetStore must have, as a reusable Jest suite: call it from a spec with a
 * factory giving a fresh, empty store (the in-memory one here; a Redis one later, against a real
 * Redis). Amounts are in USD; comparisons allow for float rounding only.
 */
export function budgetStoreContract(name: string, makeStore: () => BudgetStore | Promise<BudgetStore>): void {
  const tenantHour: BudgetLine = { key: 'tenant:acme', windowId: 'hour:2025-03-01T14', capUsd: 1 };
  const globalDay: BudgetLine = { key: 'global', windowId: 'day:2025-03-01', capUsd: 10 };

  describe(`BudgetStore contract: ${name}`, () => {
    it('reserves within the cap and reports the headroom left', async () => {
      const store = await makeStore();
      const r = await store.reserve(0.25, [tenantHour]);
      expect(r.ok).toBe(true);
      expect(r.remainingUsd).toBeCloseTo(0.75, 10);
      expect((await store.usage([tenantHour]))[0].usedUsd).toBeCloseTo(0.25, 10);
    });

    it('refuses a reservation that would pass the cap and changes nothing', async () => {
      const store = await makeStore();
      await store.reserve(0.9, [tenantHour]);
      const r = await store.reserve(0.2, [tenantHour]);
      expect(r).toMatchObject({ ok: false, blockedBy: 0 });
      expect(r.remainingUsd).toBeCloseTo(0.1, 10);
      expect((await store.usage([tenantHour]))[0].usedUsd).toBeCloseTo(0.9, 10);
    });

    it('allows a reservation that lands exactly on the cap', async () => {
      const store = await makeStore();
      expect((await store.reserve(1, [tenantHour])).ok).toBe(true);
      expect((await store.reserve(0.000001, [tenantHour])).ok).toBe(false);
    });

    it('is all-or-nothing across caps: a full cap blocks the reservation on every other cap', async () => {
      const store = await makeStore();
      const tight = { ...globalDay, capUsd: 0.1 };
      const r = await store.reserve(0.5, [tenantHour, tight]);
      expect(r).toMatchObject({ ok: false, blockedBy: 1 });
      const [tenant, global] = await store.usage([tenantHour, tight]);
      expect(tenant.usedUsd).toBe(0);
      expect(global.usedUsd).toBe(0);
    });

    it('settles a reservation to the actual cost, freeing the difference', async () => {
      const store = await makeStore();
      const r = await store.reserve(0.8, [tenantHour, globalDay]);
      if (!r.ok) throw new Error('expected a reservation');
      const lines = await store.settle(r.reservationId, 0.3);
      expect(lines.map((l) => l.usedUsd)).toEqual([expect.closeTo(0.3, 10), expect.closeTo(0.3, 10)]);
      expect((await store.reserve(0.7, [tenantHour])).ok).toBe(true);
    });

    it('releases a reservation completely', async () => {
      const store = await makeStore();
      const r = await store.reserve(1, [tenantHour]);
      if (!r.ok) throw new Error('expected a reservation');
      await store.release(r.reservationId);
      expect((await store.usage([tenantHour]))[0].usedUsd).toBeCloseTo(0, 10);
    });

    it('settles or releases a reservation once: repeats and unknown ids change nothing', async () => {
      const store = await makeStore();
      const r = await store.reserve(0.5, [tenantHour]);
      if (!r.ok) throw new Error('expected a reservation');
      await store.settle(r.reservationId, 0.2);
      await store.settle(r.reservationId, 0.2);
      await store.release(r.reservationId);
      await store.release('no-such-reservation');
      expect((await store.usage([tenantHour]))[0].usedUsd).toBeCloseTo(0.2, 10);
    });

    it('keeps windows and keys apart', async () => {
      const store = await makeStore();
      await store.reserve(1, [tenantHour]);
      expect((await store.reserve(1, [{ ...tenantHour, windowId: 'hour:2025-03-01T15' }])).ok).toBe(true);
      expect((await store.reserve(1, [{ ...tenantHour, key: 'tenant:other' }])).ok).toBe(true);
    });

    it('never overspends a cap under 200 concurrent reservations and settlements', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.double({ min: 0.01, max: 5, noNaN: true }),
          fc.array(fc.record({ amount: fc.double({ min: 0, max: 0.2, noNaN: true }), actualShare: fc.double({ min: 0, max: 1, noNaN: true }), release: fc.boolean() }), { minLength: 200, maxLength: 200 }),
          async (capUsd, calls) => {
            const store = await makeStore();
            const lines = [{ ...tenantHour, capUsd }, { ...globalDay, capUsd: capUsd * 2 }];
            let granted = 0;
            let settled = 0;
            await Promise.all(
              calls.map(async ({ amount, actualShare, release }) => {
                const r = await store.reserve(amount, lines);
                if (!r.ok) return;
                granted += amount;
                if (release) {
                  await store.release(r.reservationId);
                } else {
                  await store.settle(r.reservationId, amount * actualShare);
                  settled += amount * actualShare;
                }
              }),
            );
            const [tenant, global] = await store.usage(lines);
            expect(tenant.usedUsd).toBeLessThanOrEqual(capUsd + 1e-9);
            expect(tenant.usedUsd).toBeCloseTo(settled, 9);
            expect(global.usedUsd).toBeCloseTo(settled, 9);
            // Grants may exceed the cap in total only because releases/settlements returned headroom.
            expect(granted).toBeGreaterThanOrEqual(settled - 1e-9);
          },
        ),
        { numRuns: 50, endOnFailure: true },
      );
    });

    it('never grants more than the cap to 200 concurrent reservations held at once', async () => {
      await fc.assert(
        fc.asyncProperty(fc.double({ min: 0.01, max: 5, noNaN: true }), fc.array(fc.double({ min: 0, max: 0.2, noNaN: true }), { minLength: 200, maxLength: 200 }), async (capUsd, amounts) => {
          const store = await makeStore();
          const line = { ...tenantHour, capUsd };
          const results = await Promise.all(amounts.map((a) => store.reserve(a, [line])));
          const granted = results.reduce((sum, r, i) => sum + (r.ok ? amounts[i] : 0), 0);
          expect(granted).toBeLessThanOrEqual(capUsd + 1e-9);
          expect((await store.usage([line]))[0].usedUsd).toBeCloseTo(granted, 9);
        }),
        { numRuns: 50, endOnFailure: true },
      );
    });
  });
}
