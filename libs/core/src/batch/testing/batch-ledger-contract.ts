import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { BatchLedger, BatchRecord } from '../batch-ledger';

/**
 * The behaviour every BatchLedger must have, as a reusable Jest suite: call it from a spec with a
 * factory giving a fresh, empty ledger. `reopen` (optional) gives a second ledger over the same
 * durable storage, as a restarted replica would see it.
 */
export function batchLedgerContract(
  name: string,
  makeLedger: () => BatchLedger | Promise<BatchLedger>,
  reopen?: (ledger: BatchLedger) => BatchLedger | Promise<BatchLedger>,
): void {
  const batch = (batchId: string, requestIds: string[], submittedAt = 1_000): Omit<BatchRecord, 'settled' | 'end'> => ({
    batchId,
    armId: 'openai-gpt-4o',
    requestIds,
    submittedAt,
    rescueAt: Object.fromEntries(requestIds.map((id, i) => [id, submittedAt + 60_000 + i])),
  });

  describe(`BatchLedger contract: ${name}`, () => {
    it('records a batch with its requests and deadlines, open until every request is settled', async () => {
      const ledger = await makeLedger();
      await ledger.record(batch('b1', ['r1', 'r2']));
      expect(await ledger.get('b1')).toMatchObject({ batchId: 'b1', armId: 'openai-gpt-4o', requestIds: ['r1', 'r2'], rescueAt: { r1: 61_000, r2: 61_001 }, settled: {} });
      expect((await ledger.open()).map((b) => b.batchId)).toEqual(['b1']);
      expect(await ledger.settle('b1', ['r1'], 'batch')).toEqual(['r1']);
      expect((await ledger.open()).map((b) => b.batchId)).toEqual(['b1']);
      expect(await ledger.settle('b1', ['r2'], 'live')).toEqual(['r2']);
      expect(await ledger.open()).toEqual([]);
      expect((await ledger.get('b1'))?.settled).toEqual({ r1: 'batch', r2: 'live' });
    });

    it('settles each request once: the second publisher (batch or live) gets nothing', async () => {
      const ledger = await makeLedger();
      await ledger.record(batch('b1', ['r1', 'r2']));
      expect(await ledger.settle('b1', ['r1'], 'live')).toEqual(['r1']);
      expect(await ledger.settle('b1', ['r1', 'r2'], 'batch')).toEqual(['r2']);
      expect((await ledger.get('b1'))?.settled).toEqual({ r1: 'live', r2: 'batch' });
    });

    it('ignores request ids that are not in the batch', async () => {
      const ledger = await makeLedger();
      await ledger.record(batch('b1', ['r1']));
      expect(await ledger.settle('b1', ['stranger'], 'batch')).toEqual([]);
      expect((await ledger.get('b1'))?.settled).toEqual({});
    });

    it('refuses to record the same batch twice and to touch an unknown one', async () => {
      const ledger = await makeLedger();
      await ledger.record(batch('b1', ['r1']));
      await expect(ledger.record(batch('b1', ['r9']))).rejects.toThrow();
      await expect(ledger.settle('nope', ['r1'], 'batch')).rejects.toThrow();
      await expect(ledger.end('nope', 'completed')).rejects.toThrow();
      expect(await ledger.get('nope')).toBeUndefined();
    });

    it('keeps how a batch ended, and lists open batches oldest first', async () => {
      const ledger = await makeLedger();
      await ledger.record(batch('late', ['a'], 2_000));
      await ledger.record(batch('early', ['b'], 1_000));
      await ledger.end('late', 'expired');
      expect((await ledger.get('late'))?.end).toBe('expired');
      expect((await ledger.open()).map((b) => b.batchId)).toEqual(['early', 'late']);
    });

    it('never settles a request twice, whatever the order of settle calls (property)', async () => {
      const ledger = await makeLedger();
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(fc.subarray(['a', 'b', 'c', 'd']), fc.constantFrom('batch' as const, 'live' as const)), { maxLength: 8 }), async (calls) => {
          const id = `p${run++}`;
          await ledger.record(batch(id, ['a', 'b', 'c', 'd']));
          const won: string[] = [];
          for (const [ids, via] of calls) won.push(...(await ledger.settle(id, ids, via)));
          expect(new Set(won).size).toBe(won.length);
          expect(Object.keys((await ledger.get(id))!.settled).sort()).toEqual([...new Set(calls.flatMap(([ids]) => ids))].sort());
        }),
        { numRuns: 30 },
      );
    });

    if (reopen) {
      it('a reopened ledger sees the same batches, settlements and ends', async () => {
        const ledger = await makeLedger();
        await ledger.record(batch('b1', ['r1', 'r2']));
        await ledger.settle('b1', ['r1'], 'batch');
        await ledger.end('b1', 'completed');
        const again = await reopen(ledger);
        expect(await again.get('b1')).toMatchObject({ requestIds: ['r1', 'r2'], settled: { r1: 'batch' }, end: 'completed' });
        expect(await again.settle('b1', ['r1', 'r2'], 'live')).toEqual(['r2']);
      });
    }
  });
}
