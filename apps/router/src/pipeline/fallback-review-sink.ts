import { Logger } from '@nestjs/common';
import type { FallbackReviewRecord } from '@switchyard/contracts';
import type { RouterEvent } from '@switchyard/core';
import type { Publisher } from './kafka-delivery';

type FallbackAnswered = Extract<RouterEvent, { type: 'fallback.answered' }>;

/**
 * The review stream: every answer not from the first-choice arm (`fallback.answered`) copied to the
 * fallbacks topic, keyed by request id, for a person to review. Off the request's path: the answer
 * is published whatever happens here, and a record Kafka will not take is logged and counted, not
 * retried.
 */
export class FallbackReviewSink {
  private readonly logger = new Logger('FallbackReview');
  /** Records written, and records Kafka did not take (read by /metrics). */
  readonly counts = { published: 0, failed: 0 };

  constructor(
    private readonly publisher: Publisher,
    private readonly topic: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Subscribe this to the RouterEventBus. */
  readonly listener = (event: RouterEvent): void => {
    if (event.type === 'fallback.answered') void this.publish(event);
  };

  private async publish(event: FallbackAnswered): Promise<void> {
    const record: FallbackReviewRecord = {
      schemaVersion: 1,
      id: event.requestId,
      tenant: event.tenant,
      class: event.requestClass,
      firstChoice: event.firstChoice,
      arm: event.arm,
      model: event.model,
      attempts: event.attempts.map((a) => ({ arm: a.arm, outcome: a.rejectedBy ? 'check_failed' : a.kind, ...(a.role ? { role: a.role } : {}), ...(a.message ? { message: a.message } : {}) })),
      ...(event.verdict ? { guard: event.verdict } : {}),
      published: event.published,
      answer: event.text,
      answeredAt: new Date(this.now()).toISOString(),
    };
    try {
      await this.publisher.publish({ topic: this.topic, key: event.requestId, value: Buffer.from(JSON.stringify(record)), headers: { 'content-type': 'application/json' } });
      this.counts.published++;
    } catch (err) {
      this.counts.failed++;
      this.logger.warn(`fallback review record for ${event.requestId} not written to ${this.topic}: ${(err as Error).message}`);
    }
  }
}
