import { InMemoryBatchLedger } from './in-memory-batch-ledger';
import { batchLedgerContract } from './testing/batch-ledger-contract';

batchLedgerContract('InMemoryBatchLedger', () => new InMemoryBatchLedger());

describe('InMemoryBatchLedger', () => {
  it('keeps its own copy of what it was given', async () => {
    const ledger = new InMemoryBatchLedger();
    const ids = ['r1'];
    await ledger.record({ batchId: 'b', armId: 'a', requestIds: ids, submittedAt: 0, rescueAt: { r1: 5 } });
    ids.push('r2');
    expect((await ledger.get('b'))?.requestIds).toEqual(['r1']);
  });
});
