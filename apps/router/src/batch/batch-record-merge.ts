import type { BatchRecord } from '@switchyard/core';

/**
 * Folds a ledger record read back from the topic into what is known: requests and deadlines are
 * fixed when a batch is recorded; a request's settlement and the batch's end, once written, never
 * change. So merging is order-free, and a replica's own writes echoing back late cannot undo a
 * newer local state.
 */
export function mergeBatchRecord(known: BatchRecord | undefined, incoming: BatchRecord): BatchRecord {
  if (!known) return incoming;
  return {
    ...known,
    settled: { ...incoming.settled, ...known.settled },
    ...(known.end ?? incoming.end ? { end: known.end ?? incoming.end } : {}),
  };
}
