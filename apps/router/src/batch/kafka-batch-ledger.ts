import { isClosed, type BatchEnd, type BatchLedger, type BatchRecord } from '@switchyard/core';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { durableProducer, followCompactedTopic } from './compacted-topic';
import { mergeBatchRecord } from './batch-record-merge';

export interface KafkaBatchLedgerOptions {
  /** The compacted topic (created with `cleanup.policy=compact` when missing). */
  topic: string;
  /** Prefix of this replica's reader group (each ledger reads the whole topic). */
  replica: string;
}

/**
 * The batch ledger as a compacted Kafka topic keyed by batch id: every change writes the batch's
 * whole record (acks from all in-sync replicas) before it is visible here, so a record that was
 * acknowledged survives a kill -9. On start the topic is read to its end to rebuild the open
 * batches; afterwards the reader keeps following it, so other replicas' batches and settlements
 * arrive too (merged, see mergeBatchRecord).
 *
 * `settle` decides "first one wins" within this process. Two replicas settling the same request
 * at the same moment can both win here: publishing exactly once across replicas is the
 * idempotency store's job, as for every other response.
 */
export class KafkaBatchLedger implements BatchLedger {
  private readonly batches = new Map<string, BatchRecord>();
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly producer: Producer,
    private consumer: Consumer | undefined,
    private readonly topic: string,
  ) {}

  /** Connects, creates the topic if needed, and resolves once everything already in it has been read. */
  static async open(kafka: Kafka, options: KafkaBatchLedgerOptions): Promise<KafkaBatchLedger> {
    const producer = durableProducer(kafka);
    await producer.connect();
    const ledger = new KafkaBatchLedger(producer, undefined, options.topic);
    ledger.consumer = await followCompactedTopic(kafka, options.topic, `switchyard-batch-ledger-${options.replica}`, (key, value) => ledger.apply(key, value));
    return ledger;
  }

  async record(batch: Omit<BatchRecord, 'settled' | 'end'>): Promise<void> {
    await this.serially(async () => {
      if (this.batches.has(batch.batchId)) throw new Error(`batch ${batch.batchId} is already recorded`);
      await this.write({ ...batch, requestIds: [...batch.requestIds], rescueAt: { ...batch.rescueAt }, settled: {} });
    });
  }

  settle(batchId: string, requestIds: readonly string[], via: 'batch' | 'live'): Promise<string[]> {
    return this.serially(async () => {
      const batch = this.require(batchId);
      const members = new Set(batch.requestIds);
      const fresh = [...new Set(requestIds)].filter((id) => members.has(id) && batch.settled[id] === undefined);
      if (fresh.length) await this.write({ ...batch, settled: { ...batch.settled, ...Object.fromEntries(fresh.map((id) => [id, via])) } });
      return fresh;
    });
  }

  async end(batchId: string, end: BatchEnd): Promise<void> {
    await this.serially(async () => {
      const batch = this.require(batchId);
      if (batch.end === undefined) await this.write({ ...batch, end });
    });
  }

  async get(batchId: string): Promise<BatchRecord | undefined> {
    return this.batches.get(batchId);
  }

  async open(): Promise<BatchRecord[]> {
    return [...this.batches.values()].filter((b) => !isClosed(b)).sort((a, b) => a.submittedAt - b.submittedAt);
  }

  async close(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer.disconnect();
  }

  /** Durable first (acks from all in-sync replicas), then visible. */
  private async write(record: BatchRecord): Promise<void> {
    await this.producer.send({ topic: this.topic, acks: -1, messages: [{ key: record.batchId, value: JSON.stringify(record) }] });
    this.batches.set(record.batchId, mergeBatchRecord(this.batches.get(record.batchId), record));
  }

  private apply(key: string | undefined, value: Buffer | null): void {
    if (!key) return;
    if (value === null) {
      this.batches.delete(key);
      return;
    }
    try {
      const record = JSON.parse(value.toString()) as BatchRecord;
      this.batches.set(key, mergeBatchRecord(this.batches.get(key), record));
    } catch {
      // A record this version cannot read is skipped rather than stopping the ledger.
    }
  }

  /** One change at a time, so each write starts from the state the previous one left. */
  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private require(batchId: string): BatchRecord {
    const batch = this.batches.get(batchId);
    if (!batch) throw new Error(`no batch ${batchId} in the ledger`);
    return batch;
  }
}
