import { Logger } from '@nestjs/common';
import type { DlqReason } from '@switchyard/contracts';
import type { InboundMessage } from '../kafka/inbound-message';
import { dlqKey, toDlqRecord } from './dlq-record';
import { deliver, type Publisher } from './kafka-delivery';

export interface DlqCounts {
  /** DLQ records written (acknowledged by the broker). */
  written: number;
  /** Records nothing could be written for (the DLQ refused too): logged with the request id. */
  dropped: number;
}

/**
 * The one way a record reaches the dead-letter topic: bad requests and undeliverable answers from
 * the Kafka processor, bad feedback from the feedback consumer.
 */
export class DlqWriter {
  private readonly logger = new Logger('DLQ');
  readonly counts: DlqCounts = { written: 0, dropped: 0 };
  /** DLQ records written so far per reason (read by /metrics). */
  readonly byReason = new Map<string, number>();

  constructor(
    private readonly publisher: Publisher,
    private readonly topic: string,
  ) {}

  /** Writes a DLQ record for `message` (cut to fit the DLQ topic). */
  async write(message: InboundMessage, reason: DlqReason, detail: string, requestId: string | undefined): Promise<void> {
    const record = toDlqRecord(message, reason, detail, requestId, this.publisher.recordLimit(this.topic));
    this.logger.warn(`DLQ ${message.topic}/${message.partition}@${message.offset}${requestId ? ` (request ${requestId})` : ''}: ${record.reason}: ${record.message}${record.truncated ? ' [value truncated]' : ''}`);
    const delivered = await deliver(
      this.publisher,
      { topic: this.topic, key: dlqKey(record, message), value: Buffer.from(JSON.stringify(record)), headers: { 'content-type': 'application/json' } },
      this.logger,
    );
    if (delivered === 'refused') {
      // The last resort refused too (e.g. no write access to the DLQ topic): say so loudly.
      this.counts.dropped++;
      this.logger.error(`nothing could be written for ${message.topic}/${message.partition}@${message.offset}${requestId ? ` (request ${requestId})` : ''}; moving on`);
      return;
    }
    this.counts.written++;
    this.byReason.set(record.reason, (this.byReason.get(record.reason) ?? 0) + 1);
  }
}
