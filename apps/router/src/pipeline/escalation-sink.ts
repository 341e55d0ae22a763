import { Logger } from '@nestjs/common';
import type { EscalationRecord, RequestV1, ResponseV1 } from '@switchyard/contracts';
import { deliver, type Publisher } from './kafka-delivery';

/**
 * Where answers the router wants a human to look at go (the escalations topic), keyed by request
 * id: the AnswerPipeline calls it for either edge, before the answer is stored.
 */
export class EscalationSink {
  private readonly logger = new Logger('Escalations');
  /** Requests published to the escalations topic (read by /metrics). */
  escalated = 0;

  constructor(
    private readonly publisher: Publisher,
    private readonly topic: string,
  ) {}

  async escalate(request: RequestV1, response: ResponseV1, reason: string, headers: Record<string, string>): Promise<void> {
    this.escalated++;
    const record: EscalationRecord = {
      schemaVersion: 1,
      id: request.id,
      tenant: request.tenant,
      class: request.class,
      reason,
      response,
      request,
      escalatedAt: new Date().toISOString(),
    };
    this.logger.log(`escalating ${request.id} (${request.tenant}/${request.class}): ${reason}`);
    await deliver(
      this.publisher,
      { topic: this.topic, key: request.id, value: Buffer.from(JSON.stringify(record)), headers: { 'content-type': 'application/json', ...headers } },
      this.logger,
    );
  }
}
