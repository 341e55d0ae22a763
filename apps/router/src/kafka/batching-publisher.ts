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
  /** How long the first record of a batch may wait for company. */
  lingerMs: number;
}

/**
 * Groups records into few produce requests. The idempotent producer allows one request in flight
 * per connection, so one send per record would cap throughput at one round trip per response;
 * batching restores it while each caller still learns when *its* record is acknowledged (the
 * offset of a request is committed only after its response is acknowledged).
 */
export class BatchingPublisher {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending = false;

  constructor(
    private readonly producer: Producer,
    private readonly options: BatchingOptions = { maxBatch: 500, lingerMs: 2 },
  ) {}

  publish(record: OutboundRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      if (this.queue.length >= this.options.maxBatch) this.kick();
      else this.timer ??= setTimeout(() => this.kick(), this.options.lingerMs);
    });
  }

  private kick(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
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
