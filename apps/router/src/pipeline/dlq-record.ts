import type { DlqReason, DlqRecord } from '@switchyard/contracts';
import type { InboundMessage } from '../kafka/inbound-message';

/** A DLQ record keeps the original bytes and where they came from, so nothing is lost. */
export function toDlqRecord(message: InboundMessage, reason: DlqReason, detail: string, requestId?: string): DlqRecord {
  return {
    schemaVersion: 1,
    reason,
    message: detail,
    requestId,
    source: {
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      timestamp: message.timestamp,
      keyBase64: message.key ? message.key.toString('base64') : null,
    },
    valueBase64: message.value ? message.value.toString('base64') : '',
    valueBytes: message.value?.length ?? 0,
    failedAt: new Date().toISOString(),
  };
}
