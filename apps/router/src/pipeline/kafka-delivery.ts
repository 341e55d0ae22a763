import type { Logger } from '@nestjs/common';
import type { OutboundRecord } from '../kafka/batching-publisher';
import { isPublishRefused } from '../kafka/publish-errors';

export interface Publisher {
  /** Rejects with PublishRefusedError when the broker will never take the record. */
  publish(record: OutboundRecord): Promise<void>;
  /** Largest record (bytes) `topic` takes. */
  recordLimit(topic: string): number;
}

export type Delivery = 'delivered' | 'refused';

/**
 * Publishes, retrying what can still succeed (the transport must not commit past an answer that
 * is not in Kafka). A record the broker refuses for good is not retried: the partition would
 * stop behind it. It is logged, and the caller decides what goes out instead.
 */
export async function deliver(publisher: Publisher, record: OutboundRecord, logger: Pick<Logger, 'error' | 'warn'>): Promise<Delivery> {
  for (let delay = 200; ; delay = Math.min(delay * 2, 5_000)) {
    try {
      await publisher.publish(record);
      return 'delivered';
    } catch (err) {
      if (isPublishRefused(err)) {
        logger.error(`record for ${record.topic} (key ${record.key ?? '-'}) refused by Kafka, not retried: ${err.message}`);
        return 'refused';
      }
      logger.warn(`publish to ${record.topic} failed, retrying in ${delay} ms: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
