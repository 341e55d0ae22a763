import { z } from 'zod';
import { requestV1Schema } from './request.schema';
import { responseV1Schema } from './response.schema';

/**
 * A request that needs a human, published to `llm.escalations` (keyed by request id) next to its
 * response on `llm.responses`: a request class configured for review, or a request that failed (or
 * was degraded) after several failed attempts. Carries the request and the response as sent, so a
 * reviewer needs nothing else. At least once: consumers dedupe by `id`.
 */
export const escalationRecordSchema = z.object({
  schemaVersion: z.literal(1),
  /** The request id (also the Kafka key). */
  id: z.string(),
  tenant: z.string(),
  class: z.string(),
  /** Why the router escalated, e.g. `class "legal" is configured for review` or `3 failed attempts (last: server_error)`. */
  reason: z.string(),
  response: responseV1Schema,
  request: requestV1Schema,
  /** ISO-8601 time the record was built. */
  escalatedAt: z.string(),
});

export type EscalationRecord = z.infer<typeof escalationRecordSchema>;
