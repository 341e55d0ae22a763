import { createHash } from 'node:crypto';
import type { DlqReason, DlqRecord } from '@switchyard/contracts';
import type { InboundMessage } from '../kafka/inbound-message';

/** Room left in a DLQ record for JSON escaping of the reason text and for headers. */
const MARGIN_BYTES = 1_024;

/**
 * A DLQ record keeps the original bytes and where they came from, so nothing is lost. It always
 * fits `maxBytes` (the DLQ topic's record limit): a value that would not is cut to a prefix and
 * marked `truncated`, with its full length and SHA-256 kept so the original can be identified.
 */
export function toDlqRecord(message: InboundMessage, reason: DlqReason, detail: string, requestId: string | undefined, maxBytes: number): DlqRecord {
  const value = message.value ?? Buffer.alloc(0);
  const record: DlqRecord = {
    schemaVersion: 1,
    reason,
    // A reason quoting a huge input must not push the record over the limit either.
    message: detail.length > 2_000 ? `${detail.slice(0, 2_000)}…` : detail,
    requestId,
    source: {
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      timestamp: message.timestamp,
      keyBase64: message.key ? message.key.subarray(0, 1_024).toString('base64') : null,
    },
    valueBase64: '',
    valueBytes: value.length,
    valueSha256: createHash('sha256').update(value).digest('hex'),
    truncated: false,
    failedAt: new Date().toISOString(),
  };
  const fixedBytes = Buffer.byteLength(JSON.stringify(record)) + MARGIN_BYTES;
  // base64 turns every 3 bytes into 4 characters.
  const room = Math.max(0, Math.floor(((maxBytes - fixedBytes) * 3) / 4));
  const kept = value.length <= room ? value : value.subarray(0, room - (room % 3));
  record.valueBase64 = kept.toString('base64');
  record.truncated = kept.length < value.length;
  return record;
}

/** The DLQ record's Kafka key: the request id when known, else the original key (bounded). */
export function dlqKey(record: DlqRecord, message: InboundMessage): string | null {
  return record.requestId ?? message.key?.subarray(0, 1_024).toString('utf8') ?? null;
}
