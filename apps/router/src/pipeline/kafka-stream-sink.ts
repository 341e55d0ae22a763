import type { StreamChunkV1 } from '@switchyard/contracts';
import type { StreamSink } from '@switchyard/core';
import type { OutboundRecord } from '../kafka/batching-publisher';

/**
 * The pieces of a streamed Kafka request's answer, published as stream chunk v1 records on the
 * stream topic as they arrive (keyed by request id, so one partition keeps them in order).
 * Best effort: a chunk that cannot be published is counted, not retried — the full answer still
 * follows on the responses topic. `flushed()` resolves once every chunk publish has settled, so
 * the processor publishes the answer after the last chunk.
 */
export class KafkaStreamSink implements StreamSink {
  private seq = 0;
  private readonly pending: Promise<void>[] = [];
  lost = 0;

  constructor(
    private readonly requestId: string,
    private readonly topic: string,
    private readonly publish: (record: OutboundRecord) => Promise<void>,
    private readonly headers: Record<string, string> = {},
  ) {}

  text(delta: string): void {
    const chunk: StreamChunkV1 = { schemaVersion: 1, id: this.requestId, seq: this.seq++, delta };
    const record = { topic: this.topic, key: this.requestId, value: Buffer.from(JSON.stringify(chunk)), headers: { 'content-type': 'application/json', ...this.headers } };
    this.pending.push(this.publish(record).catch(() => void this.lost++));
  }

  get chunks(): number {
    return this.seq;
  }

  async flushed(): Promise<void> {
    await Promise.all(this.pending);
  }
}
