import type { BatchEnd } from './batch-port';

/** What is remembered of one submitted batch, so any replica can resume it after a crash. */
export interface BatchRecord {
  /** The provider's batch id. */
  batchId: string;
  armId: string;
  /** Request ids in the batch (its `custom_id`s). */
  requestIds: readonly string[];
  /** Epoch ms. */
  submittedAt: number;
  /**
   * Per request: the epoch ms by which it must be answered, less its live latency budget. Past
   * it, the request is answered live and a late batch result is discarded.
   */
  rescueAt: Readonly<Record<string, number>>;
  /** How the batch ended, once it has (absent while open). */
  end?: BatchEnd;
  /**
   * Requests whose answer has been published (from the batch or live), by how: a request in here
   * is never published again.
   */
  settled: Readonly<Record<string, 'batch' | 'live'>>;
}

/**
 * The durable record of open batches (the "recorded before the request's offset is
 * committed"). Implementations: in memory (tests, single process) and a compacted Kafka topic.
 * Every method resolves once the change is durable.
 */
export interface BatchLedger {
  /** Records a newly submitted batch; recording an id twice is an error. */
  record(batch: Omit<BatchRecord, 'settled' | 'end'>): Promise<void>;
  /**
   * Marks requests as answered, by the batch or live. Returns the ids that were newly settled: an id
   * already settled (by either way) is left as it was and not returned, so exactly one publisher wins.
   */
  settle(batchId: string, requestIds: readonly string[], via: 'batch' | 'live'): Promise<string[]>;
  /** Records how the batch ended (its requests may still be settling). */
  end(batchId: string, end: BatchEnd): Promise<void>;
  get(batchId: string): Promise<BatchRecord | undefined>;
  /** Batches with a request not yet settled, oldest first: what a replica resumes polling. */
  open(): Promise<BatchRecord[]>;
}

/** True when every request of the batch has been answered one way or the other. */
export function isClosed(batch: BatchRecord): boolean {
  return batch.requestIds.every((id) => batch.settled[id] !== undefined);
}
