import type { Message, Producer } from 'kafkajs';
import { classifyPublishFailure, PublishRefusedError } from './publish-errors';

export interface OutboundRecord {
  topic: string;
  key: string | null;
  value: Buffer;
  headers?: Record<string, string>;
}

interface Pending {
  record: OutboundRecord;
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Per-topic record size limits (see RecordLimits). */
export interface TopicLimits {
  recordLimit(topic: string): number;
  smallestLimit(): number;
}

export interface BatchingOptions {
  /** Largest number of records in one produce request. */
  maxBatch: number;
  /** How many times one record is re-sent on a fresh producer before its caller hears the error. */
  soloAttempts: number;
  /**
   * How long the first record of a batch waits for others when nothing is in flight (0: until the
   * end of the current tick). Fewer, fuller produce requests for that much latency.
   */
  lingerMs?: number;
}

export interface PublisherLog {
  warn(message: string): void;
  error(message: string): void;
}

export interface PublisherStats {
  /** Producers replaced after a fatal or unexplained send failure. */
  producerRenewals: number;
  /** Records the broker refused for good (or that could never fit), per reason. */
  refused: Map<string, number>;
}

/** Bytes a record adds to a record batch beyond key, value and headers (varints, attributes). */
const RECORD_OVERHEAD = 64;

/** Estimated bytes of one record inside a batch, for size limits. */
export function recordBytes(record: OutboundRecord): number {
  let bytes = RECORD_OVERHEAD + record.value.length + (record.key ? Buffer.byteLength(record.key) : 0);
  for (const [name, value] of Object.entries(record.headers ?? {})) bytes += Buffer.byteLength(name) + Buffer.byteLength(value) + 8;
  return bytes;
}

/**
 * Groups records into few produce requests. The idempotent producer allows one request in flight
 * per connection, so one send per record would cap throughput at one round trip per response.
 * A record goes out at once when nothing is in flight (at the end of the current tick, so records
 * published together travel together); records published while a send is in flight leave as the
 * next batch. Each caller learns when *its* record is acknowledged.
 *
 * Faults stay with the record that caused them:
 * - a record that cannot fit its topic's `max.message.bytes` is refused before it is sent, and a
 *   batch never grows past the smallest limit, so size alone never fails a batch;
 * - when a batch fails anyway, the producer is replaced (a partly applied batch leaves the
 *   idempotent producer's sequence numbers out of step, and every later send would fail with
 *   OUT_OF_ORDER_SEQUENCE_NUMBER) and its records are re-sent one by one, in order, so one bad
 *   record is refused alone and the others are delivered. A re-sent record the broker had already
 *   appended is a byte-identical duplicate, which the response contract allows.
 */
export class BatchingPublisher {
  private queue: Pending[] = [];
  private scheduled = false;
  private sending = false;
  private producer: Producer;
  private connected = false;
  readonly stats: PublisherStats = { producerRenewals: 0, refused: new Map() };

  constructor(
    private readonly createProducer: () => Producer,
    private readonly limits: TopicLimits,
    private readonly log: PublisherLog,
    private readonly options: BatchingOptions = { maxBatch: 500, soloAttempts: 5, lingerMs: 0 },
  ) {
    this.producer = createProducer();
  }

  async connect(): Promise<void> {
    await this.producer.connect();
    this.connected = true;
  }

  /** Resolves once the record is acknowledged; rejects with PublishRefusedError when it never can be. */
  publish(record: OutboundRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      const bytes = recordBytes(record);
      const limit = this.limits.recordLimit(record.topic);
      if (bytes > limit) {
        this.countRefusal('record_too_large');
        reject(new PublishRefusedError(record.topic, 'record_too_large', `record of ~${bytes} bytes exceeds the topic's limit of ${limit} bytes`));
        return;
      }
      this.queue.push({ record, bytes, resolve, reject });
      if (this.sending || this.scheduled) return;
      this.scheduled = true;
      const go = () => {
        this.scheduled = false;
        this.kick();
      };
      const linger = this.options.lingerMs ?? 0;
      if (linger > 0) setTimeout(go, linger);
      else setImmediate(go);
    });
  }

  private kick(): void {
    if (this.sending || this.queue.length === 0) return;
    const batch = this.takeBatch();
    this.sending = true;
    void this.deliver(batch).finally(() => {
      this.sending = false;
      if (this.queue.length > 0) this.kick();
    });
  }

  /** Records from the head of the queue, at most maxBatch and at most the smallest topic limit in bytes. */
  private takeBatch(): Pending[] {
    const maxBytes = this.limits.smallestLimit();
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && n < this.options.maxBatch) {
      const next = this.queue[n].bytes;
      if (n > 0 && bytes + next > maxBytes) break;
      bytes += next;
      n++;
    }
    return this.queue.splice(0, n);
  }

  private async deliver(batch: Pending[]): Promise<void> {
    try {
      await this.send(batch);
      batch.forEach((p) => p.resolve());
      return;
    } catch (err) {
      const failure = classifyPublishFailure(err);
      if (batch.length === 1 && failure.kind === 'refused') {
        await this.renew(`record refused (${failure.type})`);
        return this.refuse(batch[0], failure.reason!, err);
      }
      await this.renew(`send of ${batch.length} records failed: ${(err as Error).message}`);
    }
    // Isolate the fault: one record per send, in the original order.
    for (const pending of batch) await this.deliverAlone(pending);
  }

  private async deliverAlone(pending: Pending): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.send([pending]);
        pending.resolve();
        return;
      } catch (err) {
        const failure = classifyPublishFailure(err);
        await this.renew(`record for ${pending.record.topic} failed (${failure.type ?? (err as Error).message})`);
        if (failure.kind === 'refused') return this.refuse(pending, failure.reason!, err);
        if (attempt >= this.options.soloAttempts) {
          // The caller retries with backoff; the producer is fresh either way.
          pending.reject(err);
          return;
        }
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 2_000)));
      }
    }
  }

  private refuse(pending: Pending, reason: PublishRefusedError['reason'], err: unknown): void {
    this.countRefusal(reason);
    pending.reject(new PublishRefusedError(pending.record.topic, reason, (err as Error).message));
  }

  private countRefusal(reason: string): void {
    this.stats.refused.set(reason, (this.stats.refused.get(reason) ?? 0) + 1);
  }

  /** Replaces the producer: a new producer id starts with clean sequence numbers. */
  private async renew(why: string): Promise<void> {
    this.stats.producerRenewals++;
    this.log.warn(`replacing the Kafka producer: ${why}`);
    const old = this.producer;
    this.producer = this.createProducer();
    await old.disconnect().catch(() => undefined);
    if (!this.connected) return;
    for (let delay = 200; ; delay = Math.min(delay * 2, 5_000)) {
      try {
        await this.producer.connect();
        return;
      } catch (err) {
        this.log.error(`new Kafka producer could not connect, retrying in ${delay} ms: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private async send(batch: Pending[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const { record } of batch) {
      let messages = byTopic.get(record.topic);
      if (!messages) byTopic.set(record.topic, (messages = []));
      messages.push({ key: record.key, value: record.value, headers: record.headers });
    }
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  }

  /** Sends whatever is queued and waits for it. */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.sending) {
      this.kick();
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async close(): Promise<void> {
    await this.flush();
    this.connected = false;
    await this.producer.disconnect();
  }
}
