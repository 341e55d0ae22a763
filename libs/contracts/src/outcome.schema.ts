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
    finishReason: z.enum(['stop', 'length', 'content_filter']).optional(),
    model: z.string().optional(),
    status: z.number().optional(),
    retryAfterMs: z.number().optional(),
    role: z.string().optional(),
  }),
});

export type OutcomeRecord = z.infer<typeof outcomeRecordSchema>;
