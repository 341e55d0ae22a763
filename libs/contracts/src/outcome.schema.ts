import { z } from 'zod';

/**
 * One attempt outcome broadcast on `switchyard.outcomes` (key: arm id), so every replica learns
 * from all traffic. Internal to Switchyard; versioned like the public records.
 */
export const outcomeRecordSchema = z.object({
  schemaVersion: z.literal(1),
  replica: z.string(),
  requestId: z.string(),
  requestClass: z.string(),
  outcome: z.object({
    arm: z.string(),
    attempt: z.number(),
    kind: z.string(),
    retryable: z.boolean(),
    countsAgainstArm: z.boolean(),
    startedAt: z.number(),
    latencyMs: z.number(),
    costUsd: z.number(),
    usage: z.object({ inputTokens: z.number(), outputTokens: z.number() }),
    finishReason: z.enum(['stop', 'length', 'content_filter', 'tool_calls']).optional(),
    model: z.string().optional(),
    status: z.number().optional(),
    retryAfterMs: z.number().optional(),
    role: z.string().optional(),
  }),
});

export type OutcomeRecord = z.infer<typeof outcomeRecordSchema>;

/**
 * One quality observation broadcast on `switchyard.outcomes` (key: arm id): an answer check or a
 * piece of feedback already joined to the arm and class that served the request, so every replica
 * learns it. Told apart from attempt outcomes by `quality`.
 */
export const qualityRecordSchema = z.object({
  schemaVersion: z.literal(1),
  replica: z.string(),
  quality: z.object({
    arm: z.string(),
    requestClass: z.string(),
    score: z.number().min(0).max(1),
    kind: z.enum(['check', 'feedback']),
    source: z.string(),
    id: z.string(),
    /** When the judged answer was given (epoch ms), for feedback that knows it. */
    answeredAt: z.number().optional(),
  }),
});

export type QualityRecord = z.infer<typeof qualityRecordSchema>;
