import { z } from 'zod';

/**
 * A fallback answer copied for a person to review, published to `llm.fallbacks` (keyed by request
 * id) when the review stream is on (FALLBACK_REVIEW_ENABLED): an answer that passed the answer
 * checks but did not come from the first-choice arm, with the arms tried before it and why each
 * failed, the class's fallback-guard verdict, and whether it was published. At least once:
 * consumers dedupe by `id` and `arm`.
 */
export const fallbackReviewRecordSchema = z.object({
  schemaVersion: z.literal(1),
  /** The request id (also the Kafka key). */
  id: z.string(),
  tenant: z.string(),
  class: z.string(),
  /** The arm the request was first routed to. */
  firstChoice: z.string(),
  /** The arm that gave this answer, and the model it reported. */
  arm: z.string(),
  model: z.string(),
  /** Every attempt up to this answer: the arm, its outcome (ok or error kind), role and failure message. */
  attempts: z.array(z.object({ arm: z.string(), outcome: z.string(), role: z.string().optional(), message: z.string().optional() })),
  /** The class's fallback guard: `pass`, `fail` (not published), `skipped` (too few accepted answers) or `error` (could not judge: passed). Absent: the class has no guard. */
  guard: z
    .object({
      method: z.enum(['similarity', 'judge']),
      result: z.enum(['pass', 'fail', 'skipped', 'error']),
      score: z.number().optional(),
      compared: z.number().optional(),
      arm: z.string().optional(),
      costUsd: z.number().optional(),
      reason: z.string(),
    })
    .optional(),
  /** False when the guard rejected the answer (the request fell back again, failed or degraded). */
  published: z.boolean(),
  answer: z.string(),
  /** ISO-8601 time the record was built. */
  answeredAt: z.string(),
});

export type FallbackReviewRecord = z.infer<typeof fallbackReviewRecordSchema>;
