import { z } from 'zod';

/** Why a message could not be turned into a request. */
export const DLQ_REASONS = ['undecodable', 'invalid_json', 'schema', 'oversize', 'limits', 'conflict'] as const;
export type DlqReason = (typeof DLQ_REASONS)[number];

/**
 * A message that never became a request: the reason a person can act on, and the original bytes
 * (base64) with where they came from, so it can be fixed and replayed.
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
  valueBytes: z.number(),
  failedAt: z.string(),
});

export type DlqRecord = z.infer<typeof dlqRecordSchema>;
