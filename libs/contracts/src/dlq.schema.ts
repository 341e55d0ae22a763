import { z } from 'zod';

/** Why a message could not be turned into a request. */
export const DLQ_REASONS = ['undecodable', 'invalid_json', 'schema', 'oversize', 'limits', 'conflict', 'undeliverable', 'internal'] as const;
export type DlqReason = (typeof DLQ_REASONS)[number];

/**
 * A message that never became a request (or whose answer could not be delivered, `undeliverable`,
 * or that the router kept failing on, `internal`):
 * the reason a person can act on, and the original bytes (base64) with where they came from, so it
 * can be fixed and replayed. A DLQ record always fits the DLQ topic's `max.message.bytes`: when the
 * original bytes would not, `valueBase64` holds a prefix of them, `truncated` is true, and
 * `valueBytes` and `valueSha256` describe the whole original value.
 */
export const dlqRecordSchema = z.object({
  schemaVersion: z.literal(1),
  reason: z.enum(DLQ_REASONS),
  message: z.string(),
  /** Present when the bytes were JSON with a usable `id`. */
  requestId: z.string().optional(),
  source: z.object({
    topic: z.string(),
    partition: z.number(),
    offset: z.string(),
    timestamp: z.string().optional(),
    keyBase64: z.string().nullable(),
  }),
  valueBase64: z.string(),
  /** Length of the whole original value, in bytes. */
  valueBytes: z.number(),
  /** SHA-256 (hex) of the whole original value, to match it against the producer's copy. */
  valueSha256: z.string().optional(),
  /** True when `valueBase64` is only a prefix of the original value. */
  truncated: z.boolean().optional(),
  failedAt: z.string(),
});

export type DlqRecord = z.infer<typeof dlqRecordSchema>;
