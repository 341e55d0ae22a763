import { isClosed, type BatchLedger, type BatchRecord } from './batch-ledger';
import type { BatchEnd } from './batch-port';

/** The ledger in one process's memory: for tests and single-replica runs (not crash-safe). */
export class InMemoryBatchLedger implements BatchLedger {
  private readonly batches = new Map<string, BatchRecord>();

  async record(batch: Omit<BatchRecord, 'settled' | 'end'>): Promise<void> {
    if (this.batches.has(batch.batchId)) throw new Error(`batch ${batch.batchId} is already recorded`);
    this.batches.set(batch.batchId, { ...batch, requestIds: [...batch.requestIds], rescueAt: { ...batch.rescueAt }, settled: {} });
  }

  async settle(batchId: string, requestIds: readonly string[], via: 'batch' | 'live'): Promise<string[]> {
    const batch = this.require(batchId);
    const members = new Set(batch.requestIds);
    const settled = { ...batch.settled };
    const fresh: string[] = [];
    for (const id of requestIds) {
      if (!members.has(id) || settled[id] !== undefined) continue;
      settled[id] = via;
      fresh.push(id);
    }
    this.batches.set(batchId, { ...batch, settled });
    return fresh;
  }

  async end(batchId: string, end: BatchEnd): Promise<void> {
    this.batches.set(batchId, { ...this.require(batchId), end });
  }

  async get(batchId: string): Promise<BatchRecord | undefined> {
    return this.batches.get(batchId);
  }

  async open(): Promise<BatchRecord[]> {
    return [...this.batches.values()].filter((b) => !isClosed(b)).sort((a, b) => a.submittedAt - b.submittedAt);
  }

  private require(batchId: string): BatchRecord {
    const batch = this.batches.get(batchId);
    if (!batch) throw new Error(`no batch ${batchId} in the ledger`);
    return batch;
  }
}
