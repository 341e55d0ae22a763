import type { Message, Producer } from 'kafkajs';

export interface OutboundRecord {
  topic: string;
  key: string | null;
  value: Buffer;
  headers?: Record<string, string>;
}

interface Pending {
  record: OutboundRecord;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface BatchingOptions {
  /** Largest number of records in one produce request. */
  maxBatch: number;
}

/**
 * Groups records into few produce requests. The idempotent producer allows one request in flight
 * per connection, so one send per record would cap throughput at one round trip per response.
 * Here a record goes out at once when nothing is in flight (at the end of the current tick, so
 * records published together travel together), and records published while a send is in flight
 * wait for it and leave as the next batch: no fixed linger on an idle path, batching under load.
 * Each caller still learns when *its* record is acknowledged (a request's offset is committed
 * only after its response is acknowledged).
 */
export class BatchingPublisher {
  private queue: Pending[] = [];
  private scheduled = false;
  private sending = false;

  constructor(
    private readonly producer: Producer,
    private readonly options: BatchingOptions = { maxBatch: 500 },
  ) {}

  publish(record: OutboundRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      if (this.sending || this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.kick();
      });
    });
  }

  private kick(): void {
    if (this.sending || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.options.maxBatch);
    this.sending = true;
    this.send(batch)
      .then(
        () => batch.forEach((p) => p.resolve()),
        (err: unknown) => batch.forEach((p) => p.reject(err)),
      )
      .finally(() => {
        this.sending = false;
        if (this.queue.length > 0) this.kick();
      });
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
}
